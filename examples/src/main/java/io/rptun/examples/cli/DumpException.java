package io.rptun.examples.cli;

import io.rptun.core.RptunException;

/**
 * Why {@code rptun dump} could not read a file at all. Everything wrong <em>inside</em> a recognised file
 * (a ring index out of range, a descriptor pointing outside the region) is an anomaly in the report
 * instead: the dump still succeeds, because that is exactly when a person needs it.
 */
public final class DumpException extends RptunException {
    private static final long serialVersionUID = 1L;

    /** What is wrong with the file. */
    public enum Reason {
        /** No file at the path. */
        FILE_MISSING,
        /** A directory or a device, not a regular file. */
        NOT_A_FILE,
        /** The file has no bytes. */
        EMPTY,
        /** The file is shorter than what its header says it holds. */
        TRUNCATED,
        /** Neither a simulator header nor a resource table at offset 0: not an rptun file. */
        FOREIGN,
        /** A simulator header with a version, header size or region this code does not read. */
        BAD_HEADER,
        /** A resource table is expected where the table is garbage. */
        BAD_TABLE,
        /** The file could not be opened or mapped. */
        IO
    }

    private final Reason reason;

    DumpException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    DumpException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    @Override
    public Reason reason() {
        return reason;
    }
}
