package io.rptun.core.virtio;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.virtio.VirtqueuePort.Mode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The data path allocates nothing in steady state: sending, receiving and handing buffers back, in both
 * directions, measured with the JVM's per-thread allocation counter (not a timing: a byte count).
 */
class VirtqueuePortAllocationTest {
    private static final int NUM = 64;
    private static final int ROUNDS = 200_000;

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getCurrentThreadAllocatedBytes();
    }

    /** Runs {@code round} ROUNDS times to warm up, then ROUNDS times more counting this thread's allocations. */
    private static void assertSteadyStateAllocatesNothing(Runnable round) {
        for (int i = 0; i < ROUNDS; i++) {
            round.run();
        }
        long before = allocatedBytes();
        for (int i = 0; i < ROUNDS; i++) {
            round.run();
        }
        long allocated = allocatedBytes() - before;
        assertThat(allocated).as("bytes allocated for %d messages", 3 * ROUNDS).isLessThan(1024);
    }

    @Test
    void sendingThroughADriverAndReceivingOnTheDeviceAllocatesNothing() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment shm = arena.allocate(0x10000 + NUM * 512L, 4096);
            SharedRegion region = SharedRegion.of(shm, 0, AddressEnvironment.identity());
            Vring vring = Vring.of(shm, NUM, 0x1000);
            vring.clear();
            int[] kicks = {0};
            VirtqueuePort tx = VirtqueuePort.driver("tx", vring, region, Mode.SEND, () -> kicks[0]++);
            for (int i = 0; i < NUM; i++) {
                tx.release(tx.addBuffer(0x10000 + 512L * i, 512));
            }
            VirtqueuePort rx = VirtqueuePort.device("rx", vring, region, Mode.RECEIVE, () -> kicks[0]++);
            long[] seen = {0};
            VirtqueuePort.Receiver receiver = buffer -> {
                seen[0] += buffer.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                rx.submit(buffer);
            };
            Runnable round = () -> {
                for (int i = 0; i < 3; i++) {
                    VringBuffer b = tx.acquire();
                    if (b == null) {
                        break;
                    }
                    b.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 1);
                    tx.submit(b.length(8));
                }
                rx.receive(receiver, NUM);
            };
            assertSteadyStateAllocatesNothing(round);
            assertThat(seen[0]).isEqualTo(2L * 3 * ROUNDS);
        }
    }

    @Test
    void aDeviceFillingTheDriversReceiveBuffersAllocatesNothing() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment shm = arena.allocate(0x10000 + NUM * 512L, 4096);
            SharedRegion region = SharedRegion.of(shm, 0, AddressEnvironment.identity());
            Vring vring = Vring.of(shm, NUM, 0x1000);
            vring.clear();
            VirtqueuePort hostRx = VirtqueuePort.driver("host.rx", vring, region, Mode.RECEIVE, Notifier.NONE);
            for (int i = 0; i < NUM; i++) {
                hostRx.submit(hostRx.addBuffer(0x10000 + 512L * i, 512));
            }
            VirtqueuePort remoteTx = VirtqueuePort.device("remote.tx", vring, region, Mode.SEND, Notifier.NONE);
            long[] seen = {0};
            VirtqueuePort.Receiver receiver = buffer -> {
                seen[0] += buffer.length();
                hostRx.submit(buffer);
            };
            Runnable round = () -> {
                for (int i = 0; i < 3; i++) {
                    VringBuffer b = remoteTx.acquire();
                    if (b == null) {
                        break;
                    }
                    b.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 1);
                    remoteTx.submit(b.length(16));
                }
                hostRx.receive(receiver, NUM);
            };
            assertSteadyStateAllocatesNothing(round);
            assertThat(seen[0]).isEqualTo(2L * 3 * 16 * ROUNDS);
        }
    }
}
