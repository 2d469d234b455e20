package io.rptun.test;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.sim.RemoteServices;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A hidden service on an in-JVM remote that lets a test stall it: a message to {@value #NAME} makes the
 * remote's serving thread wait in its listener until released, so the remote takes nothing from the rings
 * and returns no buffer, as a firmware that stopped reading does.
 */
final class FaultService implements RemoteServices {
    static final String NAME = "rptun-test-fault";

    private final Semaphore stalled = new Semaphore(0);
    private final Semaphore gate = new Semaphore(0);

    @Override
    public void register(RpmsgDevice device) {
        device.createEndpoint(NAME, (ep, msg) -> {
            stalled.release();
            gate.acquireUninterruptibly();
        });
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
