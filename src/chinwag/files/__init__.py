"""Files and images: where their bytes are kept (`storage`, `s3`), what they are
(`sniff`, `images`), and how an upload is taken in (`intake`)."""
