package io.rptun.core.rpmsg;

import io.rptun.core.virtio.Doorbell;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one loop that serves a device, on a daemon thread of its own, like NuttX's rptun thread: it calls
 * {@link RpmsgDevice#process()} while there is work and sleeps on a {@link Doorbell} (rung by the peer's kicks,
 * by {@link RpmsgEndpoint#resumeDelivery()}, and by the device stopping) when there is none. An {@link
 * RpmsgRunner} is this loop for a bare device; the lifecycle's session thread ({@code io.rptun.core.lifecycle.Rptun})
 * is this loop with {@link Hooks} for its command mailbox, for announcing the link once the device is up, and
 * for failing the link when the device fails.
 *
 * <h2>One pass</h2>
 * <ol>
 *   <li>{@link Hooks#beforePass()} (the lifecycle reads its mailbox here).</li>
 *   <li>{@link RpmsgDevice#process()}. A pass that throws while the device can still serve (a callback's
 *       failure that escaped, a bug) is logged and the loop serves on; a listener's exception never gets here,
 *       the device counts it on its endpoint.</li>
 *   <li>The first pass that finds the device READY calls {@link Hooks#deviceReady()} (once).</li>
 *   <li>Nothing handled: if another thread holds the device (a callback it runs, a destroy waiting for one),
 *       or inbound buffers wait, it looks again in 50 us, since the ring that woke it may be unserved;
 *       otherwise it sleeps in {@link RpmsgDevice#awaitWork} for at most the idle wait. That sleep publishes
 *       and kicks whatever the device staged before it blocks: nothing staged survives it.</li>
 * </ol>
 *
 * <h2>How it ends</h2>
 * The loop ends when the device can never serve again (BROKEN, PEER_LOST or CLOSED, whoever found it) or on
 * {@link #stop()} / {@link #close()}. A device that fails on another thread (a sending thread that found a
 * corrupt used ring) wakes the loop at once, it does not wait for the idle wait. The device's own failures are
 * reported to {@link Hooks#deviceFailed} and kept in {@link #failure()}: a serving pass that threw because
 * the device can no longer serve, and a device that is BROKEN, whichever thread broke it. A device that was
 * closed or declared lost by somebody else ends the loop quietly (whoever did it knows), and nothing is
 * reported once the loop was asked to stop.
 *
 * <p>A hook that throws is logged at ERROR and the loop goes on: no exception escapes the serving thread.
 */
public final class ServingLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServingLoop.class);
    /** How long a loop that found the device held by another thread waits before it looks again. */
    private static final long BUSY_WAIT_NANOS = 50_000;
    /** How long {@link #close()} waits for the thread. */
    private static final Duration JOIN_WAIT = Duration.ofSeconds(5);

    /**
     * What the owner of a loop adds to it. Every method runs on the serving thread, between passes, and
     * should not block for long; each does nothing by default.
     */
    public interface Hooks {
        /** Before every serving pass, also the first (the lifecycle reads its command mailbox here). */
        default void beforePass() {
        }

        /** Once, after the first pass that finds the device READY (a remote: once it saw DRIVER_OK). */
        default void deviceReady() {
        }

        /**
         * The device failed and the loop ends (see the class comment for which failures are reported): the
         * last thing the loop does. Not called after {@link #stop()}.
         */
        default void deviceFailed(RpmsgException why) {
        }
    }

    private final RpmsgDevice device;
    private final Doorbell doorbell;
    private final Duration idleWait;
    private final String name;
    private final Hooks hooks;
    private final Thread thread;
    /** Rings the doorbell when the device stops on any thread, so the loop ends at once. */
    private final RpmsgServiceListener stopWatch;
    private volatile boolean stopped;
    private volatile @Nullable RpmsgException failure;
    /** Serving thread only. */
    private boolean ready;

    private ServingLoop(Builder b) {
        this.device = b.device;
        this.doorbell = b.doorbell;
        this.idleWait = b.idleWait;
        this.name = b.name != null ? b.name : b.threadName;
        this.hooks = b.hooks;
        this.thread = Thread.ofPlatform().name(b.threadName).daemon().unstarted(this::serve);
        Doorbell bell = doorbell;
        this.stopWatch = new RpmsgServiceListener() {
            @Override
            public void serviceCreated(String service, int address) {
            }

            @Override
            public void serviceDestroyed(String service, int address) {
            }

            @Override
            public void deviceStopped(RpmsgException why) {
                bell.ring();
            }
        };
    }

    /** A loop for {@code device}, woken by {@code doorbell}: set it up, then {@link Builder#build()} it. */
    public static Builder builder(RpmsgDevice device, Doorbell doorbell) {
        return new Builder(device, doorbell);
    }

    /** How a {@link ServingLoop} is made; every setting but the device and the doorbell has a default. */
    public static final class Builder {
        private final RpmsgDevice device;
        private final Doorbell doorbell;
        private String threadName = "rpmsg-serving";
        private @Nullable String name;
        private Duration idleWait = RpmsgRunner.DEFAULT_IDLE_WAIT;
        private Hooks hooks = new Hooks() {
        };

        private Builder(RpmsgDevice device, Doorbell doorbell) {
            this.device = Objects.requireNonNull(device, "device");
            this.doorbell = Objects.requireNonNull(doorbell, "doorbell");
        }

        /** The serving thread's name ("rpmsg-serving" by default). */
        public Builder threadName(String value) {
            this.threadName = Objects.requireNonNull(value, "threadName");
            return this;
        }

        /** How the loop names itself in log lines (the thread's name by default). */
        public Builder name(String value) {
            this.name = Objects.requireNonNull(value, "name");
            return this;
        }

        /**
         * How long the loop sleeps on the doorbell before it looks at the rings anyway (1 s by default: a
         * safety net, since every batch the peer sends while the loop sleeps comes with a ring).
         *
         * @throws IllegalArgumentException unless positive
         */
        public Builder idleWait(Duration value) {
            Objects.requireNonNull(value, "idleWait");
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("idleWait must be positive: " + value);
            }
            this.idleWait = value;
            return this;
        }

        /** What the owner adds to each pass and to the end (nothing by default). */
        public Builder hooks(Hooks value) {
            this.hooks = Objects.requireNonNull(value, "hooks");
            return this;
        }

        /**
         * The loop, not yet started: the device's wakeup ({@link RpmsgDevice#setWakeup}) already rings the
         * doorbell, so an endpoint that resumes delivery before the start is served by the first pass.
         */
        public ServingLoop build() {
            ServingLoop loop = new ServingLoop(this);
            device.setWakeup(doorbell::ring);
            return loop;
        }
    }

    /**
     * Starts the serving thread.
     *
     * @return this loop
     * @throws IllegalThreadStateException if it was started before
     */
    public ServingLoop start() {
        if (thread.getState() != Thread.State.NEW) {
            throw new IllegalThreadStateException(thread.getName() + " was started before");
        }
        // Before the thread starts: a device that stops at any moment of the loop's life wakes it.
        device.addServiceListener(stopWatch); // the services it returns are not the loop's business
        thread.start();
        return this;
    }

    private void serve() {
        try {
            while (!stopped) {
                runHook("beforePass", hooks::beforePass);
                if (stopped) {
                    return;
                }
                if (isFinal(device.state())) {
                    end(null);
                    return;
                }
                int handled = 0;
                try {
                    handled = device.process();
                } catch (RpmsgException e) {
                    if (isFinal(device.state())) {
                        end(e);
                        return;
                    }
                    // Not the device's failure (that makes it BROKEN or PEER_LOST first): serve on.
                    LOG.warn("{}: serving pass failed, serving on: {}", name, e.getMessage());
                } catch (RuntimeException e) {
                    LOG.error("{}: unexpected failure while serving", name, e);
                }
                RpmsgDevice.State after = device.state();
                if (after == RpmsgDevice.State.READY && !ready) {
                    ready = true;
                    runHook("deviceReady", hooks::deviceReady);
                } else if (isFinal(after)) {
                    // Another thread may have broken the device meanwhile (a sender that found a corrupt ring).
                    end(null);
                    return;
                }
                if (handled == 0) {
                    idle();
                }
            }
        } finally {
            device.removeServiceListener(stopWatch);
        }
    }

    private void idle() {
        if (device.hasPendingWork()) {
            // Another thread holds the device (a callback it runs, a destroy waiting for one): the ring that
            // woke us may be unserved, so look again soon instead of sleeping on it.
            LockSupport.parkNanos(BUSY_WAIT_NANOS);
        } else {
            device.awaitWork(doorbell, idleWait);
        }
    }

    /** The device can never serve again: reports its failure (see the class comment) unless stopped. */
    private void end(@Nullable RpmsgException thrown) {
        RpmsgException why = thrown != null ? thrown : device.failure();
        boolean failed = thrown != null || device.state() == RpmsgDevice.State.BROKEN;
        if (!failed || why == null || stopped) {
            return;
        }
        failure = why;
        runHook("deviceFailed", () -> hooks.deviceFailed(why));
    }

    private void runHook(String which, Runnable hook) {
        try {
            hook.run();
        } catch (RuntimeException e) {
            LOG.error("{}: the serving loop's {} hook failed, serving on", name, which, e);
        }
    }

    /** True for a device that can never serve again. */
    static boolean isFinal(RpmsgDevice.State s) {
        return s == RpmsgDevice.State.BROKEN || s == RpmsgDevice.State.PEER_LOST || s == RpmsgDevice.State.CLOSED;
    }

    /** The serving thread (for tests and dumps). */
    public Thread thread() {
        return thread;
    }

    /** The device it serves. */
    public RpmsgDevice device() {
        return device;
    }

    /**
     * The device's failure that ended the loop ({@link Hooks#deviceFailed} was told of it), or null: while it
     * serves, and after a quiet end (stopped, or the device closed or declared lost by somebody else).
     */
    public @Nullable RpmsgException failure() {
        return failure;
    }

    /** True once {@link #stop()} or {@link #close()} was called. */
    public boolean isStopped() {
        return stopped;
    }

    /**
     * Asks the loop to end after its current pass, and wakes it; does not wait. From any thread, the serving
     * thread included (a hook that ends the session). Nothing is reported to {@link Hooks#deviceFailed} after
     * this. Does not close the device.
     */
    public void stop() {
        stopped = true;
        doorbell.ring();
    }

    /**
     * Stops the loop and waits up to 5 s for its thread (not when called on the serving thread itself); a
     * thread that did not end by then is logged. Does not close the device. Idempotent.
     */
    @Override
    public void close() {
        stop();
        if (Thread.currentThread() == thread || !thread.isAlive()) {
            return;
        }
        try {
            thread.join(JOIN_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("{}: serving thread {} did not stop within {}", name, thread.getName(), JOIN_WAIT);
        }
    }

    @Override
    public String toString() {
        return "ServingLoop[" + name + (stopped ? ", stopped" : "") + "]";
    }
}
