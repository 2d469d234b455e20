package io.rptun.core;

/**
 * The root of every exception rptun throws on purpose.
 *
 * <p>All of them are unchecked and typed: each subclass carries a reason enum (never an int code),
 * so callers match on {@code reason()} rather than on message text.
 */
public abstract class RptunException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    protected RptunException(String message) {
        super(message);
    }

    protected RptunException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Why this was thrown: an enum constant of the subclass's own reason type. */
    public abstract Enum<?> reason();
}
