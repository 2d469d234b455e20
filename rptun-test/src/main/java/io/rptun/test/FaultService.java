package io.rptun.test;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.sim.RemoteServices;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * Hidden services on an in-JVM remote that let a test hurt it. A message to {@value #NAME} makes the
 * remote's serving thread wait in its listener until released, so the remote takes nothing from the rings
 * and returns no buffer, as a firmware that stopped reading does. {@value #CORRUPT_NAME} is the remote's
 * end of {@link TestLink#sendCorrupted}: the endpoint the corrupted message is sent from.
 */
final class FaultService implements RemoteServices {
    static final String NAME = "rptun-test-fault";
    static final String CORRUPT_NAME = "rptun-test-corrupt";

    /** How long {@link #corrupter()} waits for the remote to register this service. */
    private static final Duration REGISTERED = Duration.ofSeconds(10);

    private final Semaphore stalled = new Semaphore(0);
    private final Semaphore gate = new Semaphore(0);
    private volatile @Nullable RpmsgEndpoint corrupter;

    @Override
    public void register(RpmsgDevice device) {
        device.createEndpoint(NAME, (ep, msg) -> {
            stalled.release();
            gate.acquireUninterruptibly();
        });
        corrupter = device.createEndpoint(CORRUPT_NAME, (ep, msg) -> {
        });
    }

    /**
     * The remote's {@value #CORRUPT_NAME} endpoint of the current session, waiting up to {@link #REGISTERED} for
     * it: the remote registers its services one after the other, so a test whose own service is already bound
     * may get here before this one is made.
     */
    RpmsgEndpoint corrupter() {
        long end = System.nanoTime() + REGISTERED.toNanos();
        while (true) {
            RpmsgEndpoint ep = corrupter;
            if (ep != null && !ep.isDestroyed()) {
                return ep;
            }
            if (System.nanoTime() - end >= 0) {
                throw new IllegalStateException("the remote's fault service is not up within " + REGISTERED
                        + " (the link was stopped or closed)");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** Waits until the remote's serving thread is held in the listener. */
    boolean awaitStalled(Duration timeout) throws InterruptedException {
        return stalled.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Lets the held serving thread go. */
    void release() {
        gate.release();
    }
}
