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
        /**
         * {@code create} found something at the path already (use {@code createOrReplaceStale}, which replaces
         * only a provably stale file).
         */
        FILE_EXISTS,
        /**
         * The path holds a file rptun did not make (another program's file, an empty file, a file of another
         * size or table): it is left untouched.
         */
        FOREIGN_FILE,
        /** The file or socket is in use by a live process (the message names its pid where known). */
        IN_USE,
        /** The path is a directory, a symbolic link, a FIFO, a device node or a socket, not a regular file. */
        NOT_A_REGULAR_FILE,
        /** The path exists and is not a socket, so it is not ours to bind over or connect to. */
        NOT_A_SOCKET,
        /** The file's owner has no write permission on it: someone made it read-only on purpose. */
        READ_ONLY,
        /** The file was left by a link whose processes are gone: nobody will answer there. */
        STALE,
        /** A header field the peer wrote is out of range (NuttX's {@code base}, a status word). */
        BAD_HEADER,
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

    /**
     * True if the cause is what the caller gave (a path, a file, an argument), not what happened on the link:
     * a command line reports these with its bad-input exit code.
     */
    public boolean isBadInput() {
        return switch (reason) {
            case FILE_MISSING, FILE_EXISTS, FOREIGN_FILE, IN_USE, NOT_A_REGULAR_FILE, NOT_A_SOCKET, READ_ONLY, STALE,
                    WRONG_SIZE, BAD_MAGIC, BAD_VERSION, NOT_READY -> true;
            default -> false;
        };
    }
}
