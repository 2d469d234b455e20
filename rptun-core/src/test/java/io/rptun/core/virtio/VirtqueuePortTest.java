package io.rptun.core.virtio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.virtio.VirtqueuePort.Mode;
import io.rptun.core.virtio.VringException.Reason;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * What one thread sees of a {@link VirtqueuePort}: batching, kicks, ownership of handles, misuse, the
 * device-writes direction, and a broken queue. {@link VirtqueuePortStressTest} covers many threads.
 */
class VirtqueuePortTest {
    private static final int NUM = 8;
    private static final long ALIGN = 0x1000;
    private static final long BUFFERS_OFFSET = 0x4000;
    private static final int CAPACITY = 256;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment shm = arena.allocate(0x10000, 0x1000);
    private final SharedRegion region = SharedRegion.of(shm, 0, AddressEnvironment.identity());
    private final Vring vring = Vring.of(shm, NUM, ALIGN);
    private final AtomicInteger kicksToDevice = new AtomicInteger();
    private final AtomicInteger kicksToDriver = new AtomicInteger();

    @AfterEach
    void unmap() {
        arena.close();
    }

    @Test
    void stagedBuffersStayInvisibleUntilFlushPublishesThemWithOneIndexStore() {
        VirtqueuePort tx = sendingDriver();
        VirtqueuePort rx = receivingDevice();
        for (int i = 0; i < 3; i++) {
            tx.stage(tx.acquire().length(4));
        }

        assertThat(availIdx()).isZero();
        assertThat(tx.unpublished()).isEqualTo(3);
        assertThat(tx.publishes()).isZero();
        assertThat(rx.hasInbound()).isFalse();
        assertThat(rx.receive(b -> { }, NUM)).isZero();

        tx.flush();

        assertThat(availIdx()).isEqualTo(3);
        assertThat(tx.unpublished()).isZero();
        assertThat(tx.publishes()).as("index stores").isEqualTo(1);
        assertThat(tx.published()).isEqualTo(3);
        assertThat(rx.hasInbound()).isTrue();
        tx.flush();
        assertThat(tx.publishes()).as("a flush with nothing staged stores nothing").isEqualTo(1);
    }

    @Test
    void aReceiveCallReturnsEverythingItsReceiverSubmittedAsOneBatch() {
        VirtqueuePort tx = sendingDriver();
        VirtqueuePort rx = receivingDevice();
        for (int i = 0; i < 5; i++) {
            tx.submit(tx.acquire().length(4));
        }
        List<Integer> usedIdxSeenInside = new ArrayList<>();

        int got = rx.receive(b -> {
            rx.submit(b);
            usedIdxSeenInside.add(usedIdx());
        }, NUM);

        assertThat(got).isEqualTo(5);
        assertThat(usedIdxSeenInside).as("used.idx while the receiver runs").containsOnly(0);
        assertThat(usedIdx()).isEqualTo(5);
        assertThat(rx.publishes()).isEqualTo(1);
        assertThat(rx.published()).isEqualTo(5);
    }

    /**
     * The test thread owns the ring while its kick runs; from inside the kick another thread submits
     * three buffers. That thread must return at once (a lock on the send path would make it wait for the
     * kick, which waits for it), and the owner must publish its buffers as one more batch before it lets
     * go of the ring.
     */
    @Test
    void aSubmitterThatFindsTheRingOwnedLeavesAtOnceAndTheOwnerPublishesItsBuffersAsOneBatch() throws Exception {
        AtomicInteger kicks = new AtomicInteger();
        List<Integer> availIdxSeenByTheOtherThread = new ArrayList<>();
        List<Boolean> otherThreadFinished = new ArrayList<>();
        VirtqueuePort[] port = new VirtqueuePort[1];
        VirtqueuePort tx = VirtqueuePort.driver("tx", vring, region, Mode.SEND, () -> {
            if (kicks.incrementAndGet() != 1) {
                return;
            }
            Thread other = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 3; i++) {
                        port[0].submit(port[0].acquire().length(4));
                    }
                    availIdxSeenByTheOtherThread.add(availIdx());
                } catch (RuntimeException e) {
                    availIdxSeenByTheOtherThread.add(-1);
                    throw e;
                }
            });
            try {
                otherThreadFinished.add(other.join(java.time.Duration.ofSeconds(10)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        port[0] = tx;
        for (int i = 0; i < NUM; i++) {
            tx.release(tx.addBuffer(BUFFERS_OFFSET + (long) CAPACITY * i, CAPACITY));
        }
        receivingDevice();

        tx.submit(tx.acquire().length(4));

        assertThat(otherThreadFinished).as("the other thread returned while the ring was owned").containsExactly(true);
        assertThat(availIdxSeenByTheOtherThread).as("avail.idx after the other thread's submits").containsExactly(1);
        assertThat(availIdx()).isEqualTo(4);
        assertThat(tx.unpublished()).isZero();
        assertThat(tx.publishes()).as("index stores: the owner's buffer, then the other thread's three")
                .isEqualTo(2);
        assertThat(tx.published()).isEqualTo(4);
        assertThat(tx.kicks()).isEqualTo(2);
    }

    @Test
    void theDriverKicksOncePerBatchAndNotAtAllWhileTheDeviceSetsNoNotify() {
        VirtqueuePort tx = sendingDriver();
        VirtqueuePort rx = receivingDevice();

        for (int i = 0; i < 3; i++) {
            tx.stage(tx.acquire().length(4));
        }
        assertThat(kicksToDevice).as("kicks after stage").hasValue(0);
        tx.flush();
        assertThat(kicksToDevice).as("kicks after one batch of 3").hasValue(1);
        tx.submit(tx.acquire().length(4));
        assertThat(kicksToDevice).as("kicks after a second batch").hasValue(2);

        rx.disableNotifications();
        assertThat(rx.notificationsEnabled()).isFalse();
        assertThat(usedFlags()).isEqualTo(VringUsedLayout.F_NO_NOTIFY);
        tx.stage(tx.acquire().length(4));
        tx.stage(tx.acquire().length(4));
        tx.flush();
        tx.submit(tx.acquire().length(4));
        assertThat(kicksToDevice).as("kicks while NO_NOTIFY is set").hasValue(2);
        assertThat(tx.publishes()).isEqualTo(4);

        assertThat(rx.enableNotifications()).as("buffers are already waiting").isTrue();
        assertThat(usedFlags()).isZero();
        tx.submit(tx.acquire().length(4));
        assertThat(kicksToDevice).as("kicks once NO_NOTIFY is cleared").hasValue(3);
        assertThat(tx.kicks()).isEqualTo(3);
        assertThat(tx.publishes()).isEqualTo(5);
    }

    @Test
    void theDeviceKicksOncePerReceiveCallUnlessTheDriverSetNoInterrupt() {
        VirtqueuePort tx = sendingDriver();
        VirtqueuePort rx = receivingDevice();
        for (int i = 0; i < 4; i++) {
            tx.submit(tx.acquire().length(4));
        }

        rx.receive(rx::submit, 2);
        rx.receive(rx::submit, 2);
        assertThat(kicksToDriver).hasValue(2);

        tx.disableNotifications();
        assertThat(tx.notificationsEnabled()).isFalse();
        assertThat(availFlags()).isEqualTo(VringAvailLayout.F_NO_INTERRUPT);
        for (int i = 0; i < 4; i++) {
            tx.submit(tx.acquire().length(4));
        }
        rx.receive(rx::submit, NUM);
        assertThat(kicksToDriver).as("kicks while NO_INTERRUPT is set").hasValue(2);
        assertThat(rx.kicks()).isEqualTo(2);
        assertThat(rx.publishes()).isEqualTo(3);
        assertThat(tx.enableNotifications()).as("used buffers are already waiting").isTrue();
        assertThat(availFlags()).isZero();
    }

    @Test
    void aBufferSubmittedTwiceIsRefusedAndTheRingIsUnchanged() {
        VirtqueuePort tx = sendingDriver();
        VirtqueuePort rx = receivingDevice();
        VringBuffer b = tx.acquire().length(4);
        tx.submit(b);
        byte[] ring = ringBytes();

        assertThatThrownBy(() -> tx.submit(b)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> tx.stage(b)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> tx.release(b)).isInstanceOf(IllegalStateException.class);
        tx.flush();

        assertThat(ringBytes()).isEqualTo(ring);
        assertThat(tx.unpublished()).isZero();
        assertThat(tx.published()).isEqualTo(1);
        assertThat(tx.freeBuffers()).isEqualTo(NUM - 1);

        List<VringBuffer> received = new ArrayList<>();
        rx.receive(received::add, NUM);
        VringBuffer in = received.getFirst();
        rx.submit(in);
        byte[] used = ringBytes();
        assertThatThrownBy(() -> rx.submit(in)).isInstanceOf(IllegalStateException.class);
        assertThat(ringBytes()).isEqualTo(used);
        assertThat(usedIdx()).isEqualTo(1);
    }

    @Test
    void aBufferOfAnotherPortIsRefusedAndTheRingIsUnchanged() {
        VirtqueuePort tx = sendingDriver();
        MemorySegment otherMemory = arena.allocate(0x10000, 0x1000);
        Vring otherVring = Vring.of(otherMemory, NUM, ALIGN);
        SharedRegion otherRegion = SharedRegion.of(otherMemory, 0, AddressEnvironment.identity());
        VirtqueuePort other = VirtqueuePort.driver("other", otherVring, otherRegion, Mode.SEND, Notifier.NONE);
        VringBuffer foreign = other.addBuffer(BUFFERS_OFFSET, CAPACITY).length(4);
        byte[] ring = ringBytes();

        assertThatThrownBy(() -> tx.submit(foreign)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tx.stage(foreign)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tx.release(foreign)).isInstanceOf(IllegalArgumentException.class);
        tx.flush();

        assertThat(ringBytes()).isEqualTo(ring);
        assertThat(tx.unpublished()).isZero();
        assertThat(tx.freeBuffers()).isEqualTo(NUM);
        other.submit(foreign);
        assertThat(other.published()).as("the handle still belongs to its own port").isEqualTo(1);
    }

    @Test
    void acquireReturnsNullWhenNothingIsFreeAndTheBufferComesBackOnceTheDeviceReturnsIt() {
        VirtqueuePort tx = sendingDriver();
        VirtqueuePort rx = receivingDevice();
        List<VringBuffer> all = new ArrayList<>();
        for (int i = 0; i < NUM; i++) {
            all.add(tx.acquire());
        }
        assertThat(all).doesNotContainNull().doesNotHaveDuplicates();
        assertThat(tx.acquire()).isNull();

        all.forEach(b -> tx.submit(b.length(4)));
        assertThat(tx.acquire()).as("all sent, none returned").isNull();

        assertThat(rx.receive(rx::submit, 1)).isEqualTo(1);
        VringBuffer back = tx.acquire();
        assertThat(back).isSameAs(all.getFirst());
        assertThat(back.length()).as("a reacquired buffer starts empty").isZero();
        assertThat(tx.acquire()).isNull();
    }

    @Test
    void releasePutsAnUnsentBufferBackWithoutPublishingIt() {
        VirtqueuePort tx = sendingDriver();
        List<VringBuffer> all = new ArrayList<>();
        for (int i = 0; i < NUM; i++) {
            all.add(tx.acquire());
        }
        VringBuffer unsent = all.get(3).length(17);

        tx.release(unsent);

        assertThat(tx.freeBuffers()).isEqualTo(1);
        VringBuffer again = tx.acquire();
        assertThat(again).isSameAs(unsent);
        assertThat(again.length()).isZero();
        assertThat(availIdx()).isZero();
        assertThat(tx.publishes()).isZero();
    }

    @Test
    void eachPortRefusesTheCallsOfTheOtherMode() {
        VirtqueuePort tx = sendingDriver();
        VirtqueuePort rx = receivingDevice();
        tx.submit(tx.acquire().length(4));
        List<VringBuffer> received = new ArrayList<>();
        rx.receive(received::add, NUM);

        assertThatThrownBy(rx::acquire).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> rx.release(received.getFirst())).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> tx.receive(b -> { }, NUM)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> rx.addBuffer(BUFFERS_OFFSET, CAPACITY)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> tx.addBuffer(BUFFERS_OFFSET, CAPACITY)).as("num buffers already")
                .isInstanceOf(IllegalStateException.class);

        rx.submit(received.getFirst());
        assertThat(usedIdx()).as("the refused release did not take the handle").isEqualTo(1);
    }

    @Test
    void aDeviceSendPortFillsTheDriversWritableBuffersAndTheDriverSeesTheLengthsTheDeviceSet() {
        VirtqueuePort driverRx = VirtqueuePort.driver("rx", vring, region, Mode.RECEIVE, Notifier.NONE);
        List<Long> offsets = new ArrayList<>();
        for (int i = 0; i < NUM; i++) {
            long offset = BUFFERS_OFFSET + (long) CAPACITY * i;
            offsets.add(offset);
            driverRx.submit(driverRx.addBuffer(offset, CAPACITY));
        }
        VirtqueuePort deviceTx = VirtqueuePort.device("rx", vring, region, Mode.SEND, Notifier.NONE);
        assertThat(driverRx.hasInbound()).isFalse();
        int messages = 70_000;

        for (int m = 0; m < messages; m++) {
            VringBuffer out = deviceTx.acquire();
            assertThat(out).as("message %d", m).isNotNull();
            assertThat(out.capacity()).isEqualTo(CAPACITY);
            assertThat(out.length()).isZero();
            assertThat(offsets).contains(out.offset());
            int length = m % (CAPACITY + 1);
            out.segment().set(ValueLayout.JAVA_INT_UNALIGNED, 0, m);
            if (length > Integer.BYTES) {
                out.segment().set(ValueLayout.JAVA_BYTE, length - 1, (byte) m);
            }
            deviceTx.submit(out.length(length));
            int message = m;
            int got = driverRx.receive(in -> {
                assertThat(in.length()).as("length of message %d", message).isEqualTo(length);
                assertThat(in.segment().get(ValueLayout.JAVA_INT_UNALIGNED, 0)).isEqualTo(message);
                if (length > Integer.BYTES) {
                    assertThat(in.segment().get(ValueLayout.JAVA_BYTE, length - 1)).isEqualTo((byte) message);
                }
                driverRx.submit(in);
            }, NUM);
            assertThat(got).isEqualTo(1);
        }

        assertThat(usedIdx()).as("used.idx after a u16 wrap-around").isEqualTo(messages & 0xFFFF);
        assertThat(availIdx()).isEqualTo((messages + NUM) & 0xFFFF);
        assertThat(driverRx.isBroken()).isFalse();
        assertThat(deviceTx.isBroken()).isFalse();
        VringBuffer tooLong = deviceTx.acquire();
        assertThatThrownBy(() -> tooLong.length(CAPACITY + 1)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * The driver side of the device's queue writes {@code avail.idx} 1000 ahead. The device port is
     * holding four buffers, two of them staged for return.
     */
    @Test
    void onceTheDriverCorruptsAvailIdxEveryDevicePortCallThrowsTheSameExceptionAndStagedHandlesStayQueued() {
        VirtqueuePort tx = sendingDriver();
        VirtqueuePort rx = receivingDevice();
        for (int i = 0; i < 4; i++) {
            tx.submit(tx.acquire().length(4));
        }
        List<VringBuffer> held = new ArrayList<>();
        assertThat(rx.receive(held::add, NUM)).isEqualTo(4);
        rx.stage(held.get(0));
        rx.stage(held.get(1));
        VringAvailLayout.idxRelease(vring.memory(), vring.avail(), (availIdx() + 1000) & 0xFFFF);
        byte[] ring = ringBytesExceptFlags();

        VringException broken = catchThrowableOfType(VringException.class, () -> rx.receive(b -> { }, NUM));

        assertThat(broken).isNotNull();
        assertThat(broken.reason()).isEqualTo(Reason.AVAIL_IDX_JUMP);
        assertThat(rx.isBroken()).isTrue();
        assertThat(rx.brokenBy()).isSameAs(broken);
        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(rx.unpublished()).as("staged handles after the receive that found the violation")
                .isEqualTo(2);
        expectSame(soft, broken, "receive", () -> rx.receive(b -> { }, NUM), rx, 2);
        expectSame(soft, broken, "submit", () -> rx.submit(held.get(2)), rx, 2);
        expectSame(soft, broken, "stage", () -> rx.stage(held.get(3)), rx, 2);
        expectSame(soft, broken, "flush", rx::flush, rx, 2);
        expectSame(soft, broken, "enableNotifications", rx::enableNotifications, rx, 2);
        expectSame(soft, broken, "disableNotifications", rx::disableNotifications, rx, 2);
        soft.assertThat(rx.hasInbound()).as("hasInbound on a broken queue").isTrue();
        soft.assertThat(ringBytesExceptFlags()).as("used ring: nothing of the staged handles reached it")
                .containsExactly(ring);
        soft.assertAll();
    }

    /** The device returns two buffers, then writes {@code used.idx} 1000 ahead; the driver staged two. */
    @Test
    void onceTheDeviceCorruptsUsedIdxEveryDriverPortCallThrowsTheSameExceptionAndStagedHandlesStayQueued() {
        VirtqueuePort tx = sendingDriver();
        VirtqueuePort rx = receivingDevice();
        List<VringBuffer> mine = new ArrayList<>();
        for (int i = 0; i < NUM; i++) {
            mine.add(tx.acquire().length(4));
        }
        for (int i = 0; i < 4; i++) {
            tx.submit(mine.get(i));
        }
        tx.stage(mine.get(4));
        tx.stage(mine.get(5));
        rx.receive(rx::submit, 2);
        VringUsedLayout.idxRelease(vring.memory(), vring.used(), (usedIdx() + 1000) & 0xFFFF);
        byte[] ring = ringBytesExceptFlags();

        VringException broken = catchThrowableOfType(VringException.class, tx::acquire);

        assertThat(broken).isNotNull();
        assertThat(broken.reason()).isEqualTo(Reason.USED_IDX_JUMP);
        assertThat(tx.brokenBy()).isSameAs(broken);
        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(tx.unpublished()).as("staged handles after the acquire that found the violation")
                .isEqualTo(2);
        expectSame(soft, broken, "acquire", tx::acquire, tx, 2);
        expectSame(soft, broken, "submit", () -> tx.submit(mine.get(6)), tx, 2);
        expectSame(soft, broken, "stage", () -> tx.stage(mine.get(7)), tx, 2);
        expectSame(soft, broken, "flush", tx::flush, tx, 2);
        expectSame(soft, broken, "enableNotifications", tx::enableNotifications, tx, 2);
        expectSame(soft, broken, "disableNotifications", tx::disableNotifications, tx, 2);
        soft.assertThat(tx.hasInbound()).as("hasInbound on a broken queue").isTrue();
        soft.assertThat(ringBytesExceptFlags()).as("avail ring: nothing of the staged handles reached it")
                .containsExactly(ring);
        soft.assertAll();
    }

    /** A driver RECEIVE port re-posting a buffer it got, when the device then writes used.idx 1000 ahead. */
    @Test
    void onceTheDeviceCorruptsUsedIdxADriverReceivePortKeepsItsStagedHandlesQueued() {
        VirtqueuePort driverRx = VirtqueuePort.driver("rx", vring, region, Mode.RECEIVE, Notifier.NONE);
        for (int i = 0; i < NUM; i++) {
            driverRx.submit(driverRx.addBuffer(BUFFERS_OFFSET + (long) CAPACITY * i, CAPACITY));
        }
        VirtqueuePort deviceTx = VirtqueuePort.device("rx", vring, region, Mode.SEND, Notifier.NONE);
        deviceTx.submit(deviceTx.acquire().length(1));
        deviceTx.submit(deviceTx.acquire().length(2));
        List<VringBuffer> held = new ArrayList<>();
        assertThat(driverRx.receive(held::add, NUM)).isEqualTo(2);
        driverRx.stage(held.get(0));
        VringUsedLayout.idxRelease(vring.memory(), vring.used(), (usedIdx() + 1000) & 0xFFFF);
        byte[] ring = ringBytesExceptFlags();

        VringException broken = catchThrowableOfType(VringException.class, () -> driverRx.receive(b -> { }, NUM));

        assertThat(broken).isNotNull();
        assertThat(broken.reason()).isEqualTo(Reason.USED_IDX_JUMP);
        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(driverRx.unpublished()).as("staged handles after the receive that found the violation")
                .isEqualTo(1);
        soft.assertThat(ringBytesExceptFlags()).as("avail ring").containsExactly(ring);
        soft.assertAll();
    }

    private static void expectSame(SoftAssertions soft, VringException broken, String call, Executable action,
            VirtqueuePort port, int unpublished) {
        Throwable thrown = null;
        try {
            action.execute();
        } catch (Throwable t) {
            thrown = t;
        }
        soft.assertThat(thrown).as("what %s threw", call).isSameAs(broken);
        soft.assertThat(port.unpublished()).as("staged handles after %s", call).isEqualTo(unpublished);
    }

    private VirtqueuePort sendingDriver() {
        VirtqueuePort tx = VirtqueuePort.driver("tx", vring, region, Mode.SEND, kicksToDevice::incrementAndGet);
        for (int i = 0; i < NUM; i++) {
            tx.release(tx.addBuffer(BUFFERS_OFFSET + (long) CAPACITY * i, CAPACITY));
        }
        return tx;
    }

    private VirtqueuePort receivingDevice() {
        return VirtqueuePort.device("tx", vring, region, Mode.RECEIVE, kicksToDriver::incrementAndGet);
    }

    private int availIdx() {
        return VringAvailLayout.idxAcquire(vring.memory(), vring.avail());
    }

    private int availFlags() {
        return VringAvailLayout.flagsAcquire(vring.memory(), vring.avail());
    }

    private int usedIdx() {
        return VringUsedLayout.idxAcquire(vring.memory(), vring.used());
    }

    private int usedFlags() {
        return VringUsedLayout.flagsAcquire(vring.memory(), vring.used());
    }

    private byte[] ringBytes() {
        return vring.memory().toArray(ValueLayout.JAVA_BYTE);
    }

    /** The vring's bytes with avail.flags and used.flags zeroed: notification calls may change those. */
    private byte[] ringBytesExceptFlags() {
        byte[] bytes = ringBytes();
        for (long flags : new long[] {vring.avail() + VringAvailLayout.FLAGS_OFFSET,
                vring.used() + VringUsedLayout.FLAGS_OFFSET}) {
            bytes[(int) flags] = 0;
            bytes[(int) flags + 1] = 0;
        }
        return bytes;
    }
}
