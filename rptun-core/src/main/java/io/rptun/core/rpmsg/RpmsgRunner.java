package io.rptun.core.rpmsg;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
    private static final long BUSY_WAIT_NANOS = 50_000;

    private final RpmsgDevice device;
    private final Doorbell doorbell;
    private final Thread thread;
    private final Duration idleWait;
    private volatile boolean running = true;

    private RpmsgRunner(RpmsgDevice device, Doorbell doorbell, String threadName, Duration idleWait) {
        if (idleWait.isNegative() || idleWait.isZero()) {
            throw new IllegalArgumentException("idleWait must be positive: " + idleWait);
        }
        this.idleWait = idleWait;
        this.device = Objects.requireNonNull(device, "device");
        this.doorbell = Objects.requireNonNull(doorbell, "doorbell");
        this.thread = Thread.ofPlatform().name(threadName).daemon().unstarted(this::run);
    }

    /** Starts a daemon thread named {@code threadName} serving {@code device}, woken by {@code doorbell}. */
    public static RpmsgRunner start(RpmsgDevice device, Doorbell doorbell, String threadName) {
        return start(device, doorbell, threadName, DEFAULT_IDLE_WAIT);
    }

    /**
     * The same, sleeping at most {@code idleWait} on the doorbell before looking at the rings anyway (1 s by
     * default: a safety net, since every batch the peer sends while this thread sleeps comes with a ring).
     */
    public static RpmsgRunner start(RpmsgDevice device, Doorbell doorbell, String threadName, Duration idleWait) {
        RpmsgRunner runner = new RpmsgRunner(device, doorbell, threadName, idleWait);
        device.setWakeup(doorbell::ring);
        runner.thread.start();
        return runner;
    }

    private void run() {
        while (running) {
            RpmsgDevice.State state = device.state();
            if (state != RpmsgDevice.State.READY && state != RpmsgDevice.State.STARTING) {
                return;
            }
            int handled;
            try {
                handled = device.process();
            } catch (RpmsgException e) {
                RpmsgDevice.State after = device.state();
                if (after == RpmsgDevice.State.READY || after == RpmsgDevice.State.STARTING) {
                    // Not the device's failure (that makes it BROKEN or PEER_LOST first): serve on.
                    LOG.warn("{}: serving pass failed, serving on: {}", thread.getName(), e.getMessage());
                    handled = 0;
                } else {
                    LOG.warn("{} stopped: {}", thread.getName(), e.getMessage());
                    return;
                }
            } catch (RuntimeException e) {
                LOG.error("{}: unexpected failure", thread.getName(), e);
                handled = 0;
            }
            if (handled == 0) {
                if (device.hasPendingWork()) {
                    // Another thread holds the device (a callback it runs, a destroy waiting for one): the
                    // ring that woke us may be unserved, so look again soon instead of sleeping on it.
                    LockSupport.parkNanos(BUSY_WAIT_NANOS);
                } else {
                    device.awaitWork(doorbell, idleWait);
                }
            }
        }
    }

    /** The thread (for tests and dumps). */
    public Thread thread() {
        return thread;
    }

    /** Stops the thread and waits up to 5 s for it. Does not close the device. */
    @Override
    public void close() {
        running = false;
        doorbell.ring();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
