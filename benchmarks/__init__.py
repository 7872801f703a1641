"""Speed and scale benchmarks against the anchor libraries (`python -m benchmarks [NAME]`)."""
