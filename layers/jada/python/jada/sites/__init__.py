"""Static sites the agent deploys: their configuration, the diff and plan of a deploy (pure), the
record of every deploy, and the publisher that copies workspace files to a site's bucket and
invalidates its CloudFront distribution."""
