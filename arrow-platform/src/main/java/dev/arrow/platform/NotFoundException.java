package dev.arrow.platform;

/** The named thing (an arrow, a revision, an invocation) does not exist. */
public final class NotFoundException extends PlatformException {

    private final String kind;
    private final String name;

    public NotFoundException(String kind, String name) {
        super("no " + kind + " named '" + name + "'");
        this.kind = kind;
        this.name = name;
    }

    public String kind() {
        return kind;
    }

    public String name() {
        return name;
    }
}
