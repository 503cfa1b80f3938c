package dev.arrow.flows.expressions;

/**
 * A jq expression that does not compile, or that failed on its input: the message names the
 * expression and, at run time, the input's shape (not its values, which may be private).
 */
public final class ExpressionException extends Exception {

    private final String expression;

    public ExpressionException(String expression, String message) {
        super(message);
        this.expression = expression;
    }

    public String expression() {
        return expression;
    }
}
