"""Error messages as learners paste them, shared by the tests that post them."""

PASSROLE = (
    "An error occurred (AccessDeniedException) when calling the CreateFunction operation: "
    "User: arn:aws:sts::123456789012:assumed-role/voclabs/u is not authorized to perform: "
    "iam:PassRole on resource: arn:aws:iam::123456789012:role/LabRole"
)
NO_SUCH_BUCKET = (
    "An error occurred (NoSuchBucket) when calling the PutObject operation: "
    "The specified bucket does not exist"
)
UPLOAD_FAILED = "upload failed: " + NO_SUCH_BUCKET  # as the CLI prints it
