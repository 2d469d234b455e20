package io.rptun.core.virtio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.virtio.VirtqueuePort.Mode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The owner's fast path of {@link VirtqueuePort}: {@link VirtqueuePort#acquireOwned()} with
 * {@link VirtqueuePort#submitOwned} / {@link VirtqueuePort#releaseOwned}, and the device's batch give-back
 * {@link VirtqueuePort#submitAll}, alone and mixed with the queued path from many threads.
 */
@Timeout(120)
class VirtqueuePortOwnedTest {
    private static final int NUM = 16;
    private static final long ALIGN = 0x1000;
    private static final long BUFFERS_OFFSET = 0x8000;
    private static final int CAPACITY = 64;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment shm = arena.allocate(0x10000, 0x1000);
    private final SharedRegion region = SharedRegion.of(shm, 0, AddressEnvironment.identity());
    private final Vring vring = Vring.of(shm, NUM, ALIGN);
    private final AtomicInteger kicksToDevice = new AtomicInteger();

    @AfterEach
    void unmap() {
        arena.close();
    }

    private VirtqueuePort sendingDriver() {
        vring.clear();
        VirtqueuePort tx = VirtqueuePort.driver("tx", vring, region, Mode.SEND, kicksToDevice::incrementAndGet);
        for (int i = 0; i < NUM; i++) {
            tx.release(tx.addBuffer(BUFFERS_OFFSET + (long) CAPACITY * i, CAPACITY));
        }
        return tx;
    }

    private VirtqueuePort receivingDevice() {
        return VirtqueuePort.device("rx", vring, region, Mode.RECEIVE, Notifier.NONE);
    }

    private int availIdx() {
        return VringAvailLayout.idxAcquire(vring.memory(), vring.avail());
    }

    @Test
    void anOwnedSendIsPublishedAtOnceWithOneKickAndDeliveredToTheDevice() {
        VirtqueuePort tx = sendingDriver();
        VirtqueuePort rx = receivingDevice();

        VringBuffer b = tx.acquireOwned();
        assertThat(b).isNotNull();
        b.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 42L);
        b.length(8);
        tx.submitOwned(b);

        assertThat(availIdx()).isEqualTo(1);
        assertThat(kicksToDevice).hasValue(1);
        assertThat(tx.ownedSubmits()).isEqualTo(1);
        List<Long> got = new ArrayList<>();
        rx.receive(buf -> {
            got.add(buf.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
            rx.submit(buf);
        }, NUM);
        assertThat(got).containsExactly(42L);
    }

    @Test
    void whileOneThreadHoldsTheRingAnotherGetsNoOwnedBufferAndItsQueuedSubmitIsPublishedByTheOwner()
            throws Exception {
        VirtqueuePort tx = sendingDriver();
        VringBuffer mine = tx.acquireOwned();
        assertThat(mine).isNotNull();

        AtomicReference<VringBuffer> otherOwned = new AtomicReference<>();
        AtomicReference<VringBuffer> otherQueued = new AtomicReference<>();
        Thread other = Thread.ofPlatform().start(() -> {
            otherOwned.set(tx.acquireOwned()); // the ring is held: null, holding nothing
            VringBuffer q = tx.acquire(); // the shared pool has buffers (reaped ones need the ring)
            if (q != null) {
                q.length(4);
                tx.submit(q); // finds the ring owned: queued for the owner
            }
            otherQueued.set(q);
        });
        assertThat(other.join(java.time.Duration.ofSeconds(30))).isTrue();
        assertThat(otherOwned.get()).isNull();
        assertThat(otherQueued.get()).isNotNull();
        assertThat(availIdx()).as("nothing published while the ring is held").isZero();

        mine.length(4);
        tx.submitOwned(mine);
        assertThat(availIdx()).as("the owner published its own and the queued one").isEqualTo(2);
    }

    @Test
    void aBufferReleasedUnsentGoesBackToTheFrontAndTheRingIsFreeAgain() {
        VirtqueuePort tx = sendingDriver();
        VringBuffer first = tx.acquireOwned();
        assertThat(first).isNotNull();
        tx.releaseOwned(first);

        VringBuffer again = tx.acquireOwned();
        assertThat(again).as("the one put back is taken first").isSameAs(first);
        tx.releaseOwned(again);
        assertThat(tx.freeBuffers()).isEqualTo(NUM);
        assertThat(availIdx()).isZero();
    }

    @Test
    void givingBackTwiceIsRefusedAndStillLetsGoOfTheRing() {
        VirtqueuePort tx = sendingDriver();
        VringBuffer b = tx.acquireOwned();
        assertThat(b).isNotNull();
        b.length(4);
        tx.submitOwned(b);

        assertThatThrownBy(() -> tx.submitOwned(b)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("twice");
        assertThat(tx.acquireOwned()).as("the ring was let go").isNotNull();
    }

    @Test
    void submitAllGivesABatchBackWithOnePublish() {
        VirtqueuePort tx = sendingDriver();
        VirtqueuePort rx = receivingDevice();
        for (int i = 0; i < 5; i++) {
            VringBuffer b = tx.acquire();
            b.length(8);
            tx.stage(b);
        }
        tx.flush();
        VringBuffer[] batch = new VringBuffer[NUM];
        int[] n = {0};
        rx.receive(buf -> batch[n[0]++] = buf, NUM);
        assertThat(n[0]).isEqualTo(5);
        long publishesBefore = rx.publishes();

        rx.submitAll(batch, n[0]);

        assertThat(rx.publishes() - publishesBefore).isEqualTo(1);
        assertThat(batch).containsOnlyNulls();
        assertThat(VringUsedLayout.idxAcquire(vring.memory(), vring.used())).isEqualTo(5);
    }

    /**
     * Four threads send numbered buffers, each at random through the owner's path or the queued one; one
     * device thread receives. Every thread's numbers must arrive in order, none lost or doubled: an owned send
     * must never overtake the same thread's earlier queued one (which can sit behind a slot another producer
     * claimed but has not written yet).
     */
    @Test
    void ownedAndQueuedSendsFromManyThreadsArriveOncePerThreadInOrder() throws Exception {
        VirtqueuePort tx = sendingDriver();
        VirtqueuePort rx = receivingDevice();
        int threads = 4;
        int perThread = 100_000;
        int[] next = new int[threads];
        List<String> errors = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger received = new AtomicInteger();
        Thread receiver = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                int got = rx.receive(buf -> {
                    long v = buf.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                    int t = (int) (v >>> 32);
                    int seq = (int) v;
                    if (seq != next[t] && errors.size() < 10) {
                        errors.add("thread " + t + ": got " + seq + ", expected " + next[t]);
                    }
                    next[t] = seq + 1;
                    received.incrementAndGet();
                    rx.submit(buf);
                }, NUM);
                if (got == 0) {
                    Thread.onSpinWait();
                }
            }
        });
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long id = t;
            senders.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int seq = 0; seq < perThread; ) {
                    boolean owned = random.nextBoolean();
                    VringBuffer b = owned ? tx.acquireOwned() : tx.acquire();
                    if (b == null) {
                        Thread.onSpinWait();
                        continue;
                    }
                    b.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, id << 32 | seq);
                    b.length(8);
                    if (owned) {
                        tx.submitOwned(b);
                    } else {
                        tx.submit(b);
                    }
                    seq++;
                }
            }));
        }
        go.countDown();
        for (Thread s : senders) {
            assertThat(s.join(java.time.Duration.ofSeconds(100))).isTrue();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (received.get() < threads * perThread && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        stop.set(true);
        receiver.join();

        assertThat(errors).isEmpty();
        assertThat(received).hasValue(threads * perThread);
        assertThat(tx.ownedSubmits()).isPositive();
    }
}
