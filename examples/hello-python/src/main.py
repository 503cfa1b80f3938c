greeted = 0


def handler(event, context):
    global greeted
    greeted += 1
    name = (event or {}).get("name", "world")
    return {"greeting": f"hello {name}", "greetedByThisInstance": greeted}
