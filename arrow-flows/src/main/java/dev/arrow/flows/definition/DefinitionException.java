package dev.arrow.flows.definition;

/**
 * A definition Arrow refuses: {@code path} is the JSON pointer of the task or field at fault
 * ({@code /do/2/ship/fork}), the message says what is wrong there, in the user's words.
 */
public final class DefinitionException extends Exception {

    private final String path;

    public DefinitionException(String path, String message) {
        super(path + ": " + message);
        this.path = path;
    }

    public String path() {
        return path;
    }
}
