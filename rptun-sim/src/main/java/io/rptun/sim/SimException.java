package io.rptun.sim;

import io.rptun.core.RptunException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The simulator could not do what was asked with its shared file, its futex or its socket, with the
 * {@link Reason}. Messages name the file or socket path and, where a value was checked, the expected and
 * the actual value.
 */
public final class SimException extends RptunException {
    private static final long serialVersionUID = 1L;

    /** Why. */
    public enum Reason {
        /** The shared file (or the socket path) does not exist. */
        FILE_MISSING,
        /** {@code create} found a file at the path already (use {@code createOrReplace} for a stale one). */
        FILE_EXISTS,
        /** The file is not as large as its header (or the caller) says it must be. */
        WRONG_SIZE,
        /** The file does not start with the magic {@code "RPTUNSIM"}: it is not a simulator file. */
        BAD_MAGIC,
        /** The header's version (or header size) is not one this code reads. */
        BAD_VERSION,
        /** The creator did not publish the ready flag (the magic) in time. */
        NOT_READY,
        /** An I/O error on the shared file; the cause is the {@code IOException}. */
        IO,
        /** Futexes need Linux on x86_64 or aarch64. */
        FUTEX_UNSUPPORTED,
        /** The futex system call failed with an errno the caller cannot handle (named in the message). */
        FUTEX_FAILED,
        /** A UNIX-domain socket could not be created, bound, or used; the cause is the {@code IOException}. */
        SOCKET_FAILED,
        /** The peer closed its end of the socket, or died. */
        PEER_CLOSED,
        /** Nothing arrived (a connection, a listener) within the time given. */
        TIMEOUT,
        /** The object was closed locally. */
        CLOSED,
        /** The waiting thread was interrupted (its interrupt flag is set again). */
        INTERRUPTED
    }

    private final Reason reason;

    public SimException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public SimException(Reason reason, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    @Override
    public Reason reason() {
        return reason;
    }
}
