package dev.arrow.flows.runs;

/** The language a flow was deployed in. */
public enum Language {
    /** The CNCF Serverless Workflow DSL 1.0, in YAML or JSON. */
    DSL,
    /** Amazon States Language, imported. */
    ASL;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
