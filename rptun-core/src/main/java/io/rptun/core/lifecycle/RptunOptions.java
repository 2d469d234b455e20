package io.rptun.core.lifecycle;

import io.rptun.core.rpmsg.RpmsgOptions;
import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link Rptun} runs.
 *
 * @param rpmsg options of the rpmsg device it starts (its name is replaced by the local cpu name when
 *     left at the default)
 * @param readyTimeout how long {@link Rptun#start()} waits for both sides to be up
 * @param mailboxTimeout how long a mailbox command waits for the peer's ACK (NuttX: 5 s)
 * @param readyCommand true when the remote announces itself with the mailbox's READY and the master is
 *     RUNNING only then; false when the peer does not speak the mailbox (OpenAMP), so the master is
 *     RUNNING once its own device is
 * @param idleWait how long the serving thread sleeps on the doorbell before looking again anyway
 */
public record RptunOptions(RpmsgOptions rpmsg, Duration readyTimeout, Duration mailboxTimeout, boolean readyCommand,
        Duration idleWait) {
    public RptunOptions {
        Objects.requireNonNull(rpmsg, "rpmsg");
        positive(readyTimeout, "readyTimeout");
        positive(mailboxTimeout, "mailboxTimeout");
        positive(idleWait, "idleWait");
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
    }

    /** 10 s to get ready, NuttX's 5 s for an ACK, the READY command on, 1 s idle waits (a safety net: every batch the peer sends to a sleeping side comes with a ring). */
    public static RptunOptions defaults() {
        return new RptunOptions(RpmsgOptions.defaults(), Duration.ofSeconds(10), Duration.ofSeconds(5), true,
                Duration.ofSeconds(1));
    }

    public RptunOptions withRpmsg(RpmsgOptions value) {
        return new RptunOptions(value, readyTimeout, mailboxTimeout, readyCommand, idleWait);
    }

    public RptunOptions withReadyTimeout(Duration value) {
        return new RptunOptions(rpmsg, value, mailboxTimeout, readyCommand, idleWait);
    }

    public RptunOptions withMailboxTimeout(Duration value) {
        return new RptunOptions(rpmsg, readyTimeout, value, readyCommand, idleWait);
    }

    public RptunOptions withReadyCommand(boolean value) {
        return new RptunOptions(rpmsg, readyTimeout, mailboxTimeout, value, idleWait);
    }

    public RptunOptions withIdleWait(Duration value) {
        return new RptunOptions(rpmsg, readyTimeout, mailboxTimeout, readyCommand, value);
    }
}
