package io.rptun.core.rpmsg;

import io.rptun.core.virtio.Doorbell;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that serves one device, like NuttX's rptun thread: it calls {@link RpmsgDevice#process()}
 * while there is work and sleeps on a {@link Doorbell} (rung by the peer's kicks) when there is none. With
 * no traffic it sleeps; it stops when the device can no longer be used, or on {@link #close()}.
 */
public final class RpmsgRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RpmsgRunner.class);
    /**
     * How long the thread sleeps unrung when no idle wait is given: a safety net only, since every batch
     * the peer sends while this thread sleeps comes with a ring.
     */
    public static final Duration DEFAULT_IDLE_WAIT = Duration.ofSeconds(1);

    private final ServingLoop loop;

    private RpmsgRunner(ServingLoop loop) {
        this.loop = loop;
    }

    /** Starts a daemon thread named {@code threadName} serving {@code device}, woken by {@code doorbell}. */
    public static RpmsgRunner start(RpmsgDevice device, Doorbell doorbell, String threadName) {
        return start(device, doorbell, threadName, DEFAULT_IDLE_WAIT);
    }

    /**
     * The same, sleeping at most {@code idleWait} on the doorbell before looking at the rings anyway (1 s by
     * default: a safety net, since every batch the peer sends while this thread sleeps comes with a ring).
     * It is a {@link ServingLoop} whose only hook logs, at WARN, the device's failure that ended it.
     */
    public static RpmsgRunner start(RpmsgDevice device, Doorbell doorbell, String threadName, Duration idleWait) {
        ServingLoop loop = ServingLoop.builder(device, doorbell).threadName(threadName).idleWait(idleWait)
                .hooks(new ServingLoop.Hooks() {
                    @Override
                    public void deviceFailed(RpmsgException why) {
                        LOG.warn("{} stopped: {}", threadName, why.getMessage());
                    }
                }).build();
        return new RpmsgRunner(loop.start());
    }

    /** The thread (for tests and dumps). */
    public Thread thread() {
        return loop.thread();
    }

    /**
     * Why the device ended the thread (a serving pass that failed with it, or a device broken by any thread),
     * or null while it serves and after a quiet end ({@link #close()}, a device closed or declared lost).
     */
    public @Nullable RpmsgException failure() {
        return loop.failure();
    }

    /** Stops the thread and waits up to 5 s for it. Does not close the device. */
    @Override
    public void close() {
        loop.close();
    }
}
