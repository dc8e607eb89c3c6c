"""The organizers' dashboard: figures, supporters, exports and the signature packet."""
