"""The jada CDK app: one construct per concern, composed by JadaStack."""
