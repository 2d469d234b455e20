package io.rptun.core.rpmsg;

import io.rptun.core.virtio.Doorbell;
import io.rptun.core.virtio.PeerNotifier;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The in-process doorbell: two devices in one JVM ring each other with {@link LockSupport}. A ring
 * unparks the waiter only when one is parked.
 *
 * <h2>Memory model</h2>
 * {@code ring} writes {@code rung} then reads {@code waiter}; {@code await} writes {@code waiter} then
 * reads {@code rung}. Both are volatile, so at least one side sees the other's write: either the ringer
 * unparks the waiter, or the waiter sees the ring before it parks.
 */
public final class ParkingDoorbell implements Doorbell, PeerNotifier {
    private final AtomicInteger rung = new AtomicInteger();
    private volatile @Nullable Thread waiter;

    @Override
    public void ring() {
        if (rung.getAndSet(1) == 0) {
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    /** Rings, whatever the vring: the in-process serving thread looks at both. */
    @Override
    public void notify(int notifyId) {
        ring();
    }

    @Override
    public boolean await(Duration timeout) {
        if (rung.getAndSet(0) == 1) {
            return true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        waiter = Thread.currentThread();
        try {
            while (true) {
                if (rung.getAndSet(0) == 1) {
                    return true;
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0 || Thread.currentThread().isInterrupted()) {
                    return false;
                }
                LockSupport.parkNanos(this, remaining);
            }
        } finally {
            waiter = null;
        }
    }
}
