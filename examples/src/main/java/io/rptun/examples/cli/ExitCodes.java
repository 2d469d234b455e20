package io.rptun.examples.cli;

/** What {@code rptun} returns to the shell. */
public final class ExitCodes {
    /** It did what was asked. */
    public static final int OK = 0;
    /** It ran but the link failed: the peer was lost, a timeout passed, the peer answered wrongly. */
    public static final int FAILED = 1;
    /**
     * Bad usage or bad input: an unknown option; a missing, foreign, busy (a live link), stale or malformed
     * file, or a socket path that is not a socket.
     */
    public static final int BAD_INPUT = 2;
    /** Interrupted (Ctrl-C; the JVM reports 143 for SIGTERM): everything started was cleaned up. */
    public static final int INTERRUPTED = 130;

    private ExitCodes() {
    }
}
