package io.rptun.sim;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The daemon thread a driver watches its peer on: started at each session, stopped (and joined, up to 2 s)
 * before the next one and at close. The body loops while {@link #running()}; {@link #stop()} unparks it.
 */
final class WatchThread {
    private volatile boolean running;
    private volatile @Nullable Thread thread;

    /** Starts {@code body} on a new daemon thread named {@code name}, after stopping any previous one. */
    void start(String name, Runnable body) {
        stop();
        running = true;
        Thread t = Thread.ofPlatform().daemon().name(name).unstarted(body);
        thread = t;
        t.start();
    }

    /** True until {@link #stop()}: the body's loop condition. */
    boolean running() {
        return running;
    }

    /** Stops the body and waits for it (not when called from the body itself). Idempotent. */
    void stop() {
        running = false;
        Thread t = thread;
        thread = null;
        if (t != null && t != Thread.currentThread()) {
            LockSupport.unpark(t);
            try {
                t.join(Duration.ofSeconds(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
