import arrow

counts = arrow.kv("visits")


def handler(event, context):
    """{"page": "about"} -> {"page": "about", "visits": 3}: one more visit, counted exactly once."""
    page = event.get("page", "home") if isinstance(event, dict) else "home"
    while True:
        value, revision = counts.get_entry(page)
        try:
            if revision is None:
                counts.put(page, "1", create=True)
                return {"page": page, "visits": 1}
            # Compare-and-set: a visit counted meanwhile by another instance makes this one retry.
            counts.put(page, str(int(value) + 1), revision=revision)
            return {"page": page, "visits": int(value) + 1}
        except arrow.ArrowError as e:
            if e.code != "precondition_failed":
                raise
