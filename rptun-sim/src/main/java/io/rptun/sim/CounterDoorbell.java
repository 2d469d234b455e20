package io.rptun.sim;

import io.rptun.core.virtio.Doorbell;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * NuttX's simulator doorbell: the peer "rings" by incrementing its counter in the shared file and never
 * wakes anybody, so this side must look. {@link #await} polls the peer's counter (and the peer's mailbox
 * word, which NuttX writes without a notification when it stops) with the back-off of an
 * {@link IdleStrategy} whose parks are capped, so a ring is seen within about {@code maxPark} however long
 * the serving loop asked to sleep. NuttX itself looks every 10 ms.
 *
 * <p>Threads: {@link #await} by one serving thread; {@link #ring} from any thread.
 */
final class CounterDoorbell implements Doorbell {
    private final MemorySegment file;
    private final long peerCounter;
    private final long peerCommand;
    private final IdleStrategy idle;
    private final long maxParkNanos;
    private final AtomicBoolean rung = new AtomicBoolean();
    /** The peer's counter when this side last looked: owned by the serving thread. */
    private int seen;
    /** The peer's mailbox word when this side last looked: owned by the serving thread. */
    private int seenCommand;

    /**
     * @param peerCounter offset of the peer's notify counter in {@code file}
     * @param peerCommand offset of the peer's mailbox word in {@code file}
     * @param maxPark the longest single park between two looks
     */
    CounterDoorbell(MemorySegment file, long peerCounter, long peerCommand, IdleStrategy idle, Duration maxPark) {
        this.file = file;
        this.peerCounter = peerCounter;
        this.peerCommand = peerCommand;
        this.idle = idle;
        this.maxParkNanos = Math.max(1_000, maxPark.toNanos());
        this.seen = NuttxSimLayout.getVolatile(file, peerCounter);
    }

    @Override
    public void ring() {
        rung.set(true);
    }

    @Override
    public boolean await(Duration timeout) {
        return await(timeout, null);
    }

    @Override
    public boolean await(Duration timeout, Poller poller) {
        return awaitWork(timeout, poller);
    }

    /** True with {@link IdleStrategy#busySpin()}: {@link #await(Duration, Poller)} then only spins. */
    @Override
    public boolean spinsWithoutBlocking() {
        return idle.isBusySpin();
    }

    private boolean awaitWork(Duration timeout, @org.jspecify.annotations.Nullable Poller poller) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long park = idle.firstPark().toNanos();
        int round = 0;
        boolean armed = false;
        try {
            while (true) {
                if (news() || (poller != null && poller.hasWork())) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                if (idle.isBusySpin() || round < idle.spins()) {
                    Thread.onSpinWait();
                } else if (round < idle.spins() + idle.yields()) {
                    Thread.yield();
                } else {
                    if (!armed && poller != null) {
                        // About to sleep: ask the peer to notify again (it costs NuttX nothing), look once more.
                        armed = true;
                        if (poller.beforeBlocking()) {
                            return true;
                        }
                    }
                    LockSupport.parkNanos(Math.min(left, Math.min(park, maxParkNanos)));
                    park = Math.min(park * 2, maxParkNanos);
                }
                round++;
            }
        } finally {
            if (armed) {
                poller.afterBlocking();
            }
        }
    }

    /** A local ring, a new peer counter, or a command from the peer waiting to be read. */
    private boolean news() {
        if (rung.getAndSet(false)) {
            return true;
        }
        int now = NuttxSimLayout.getVolatile(file, peerCounter);
        if (now != seen) {
            seen = now;
            return true;
        }
        int command = NuttxSimLayout.getVolatile(file, peerCommand);
        if (command != seenCommand) {
            seenCommand = command;
            return command != 0;
        }
        return false;
    }
}
