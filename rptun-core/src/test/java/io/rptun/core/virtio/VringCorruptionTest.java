package io.rptun.core.virtio;

import static io.rptun.core.virtio.VringDescLayout.F_INDIRECT;
import static io.rptun.core.virtio.VringDescLayout.F_NEXT;
import static io.rptun.core.virtio.VringDescLayout.F_WRITE;
import static io.rptun.core.virtio.VringException.Reason.ADDRESS_OUTSIDE_REGION;
import static io.rptun.core.virtio.VringException.Reason.AVAIL_IDX_JUMP;
import static io.rptun.core.virtio.VringException.Reason.BUFFER_OUTSIDE_WINDOW;
import static io.rptun.core.virtio.VringException.Reason.CHAIN_LOOP;
import static io.rptun.core.virtio.VringException.Reason.DESC_INDEX_OUT_OF_RANGE;
import static io.rptun.core.virtio.VringException.Reason.DESC_IN_USE;
import static io.rptun.core.virtio.VringException.Reason.INDIRECT_DESCRIPTOR;
import static io.rptun.core.virtio.VringException.Reason.NEXT_OUT_OF_RANGE;
import static io.rptun.core.virtio.VringException.Reason.UNEXPECTED_CHAIN;
import static io.rptun.core.virtio.VringException.Reason.USED_ID_NOT_OUTSTANDING;
import static io.rptun.core.virtio.VringException.Reason.USED_IDX_JUMP;
import static io.rptun.core.virtio.VringException.Reason.USED_LENGTH_BEYOND_BUFFER;
import static io.rptun.core.virtio.VringException.Reason.WRONG_DIRECTION;
import static io.rptun.core.virtio.VringFixture.BUFFER_SIZE;
import static io.rptun.core.virtio.VringFixture.assertViolation;
import static io.rptun.core.virtio.VringFixture.violation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.AddressException;
import io.rptun.core.memory.AddressWindow;
import io.rptun.core.virtio.VirtqueuePort.Mode;
import io.rptun.core.virtio.VringException.Reason;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One test per violation of docs/protocols.md section 2 that a queue detects. A corrupt peer is played by
 * writing the shared bytes directly; every test checks the typed exception (reason, ring, index, value),
 * that the queue is broken for good by exactly that exception, and that what came before the corrupt
 * entry was delivered.
 */
class VringCorruptionTest {
    private static final int NUM = 8;

    /** The device side: the driver wrote something impossible into the descriptors or the avail ring. */
    @Nested
    class TheDevice {
        private final VringFixture f = new VringFixture(NUM);

        /** Takes {@code count} buffers, which must all be delivered, and returns their heads. */
        private List<Integer> takeGood(int count) {
            List<Integer> heads = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                assertThat(f.device.take(f.chain)).isTrue();
                heads.add(f.chain.head());
            }
            return heads;
        }

        private VringException takeFails() {
            return violation(() -> f.device.take(f.chain));
        }

        @Test
        void anAvailIdxThatJumpsByMoreThanNumBreaksTheQueue() {
            int[] heads = f.offer(3);
            assertThat(takeGood(3)).containsExactly(heads[0], heads[1], heads[2]);
            f.availIdx(3 + NUM + 1);

            VringException e = takeFails();

            assertViolation(e, AVAIL_IDX_JUMP, 3, 3 + NUM + 1);
            f.assertStaysBroken(f.device, e);
        }

        @Test
        void anAvailIdxThatMovesBackwardsBreaksTheQueue() {
            f.offer(3);
            takeGood(3);
            f.availIdx(2);

            VringException e = takeFails();

            assertViolation(e, AVAIL_IDX_JUMP, 3, 2);
            f.assertStaysBroken(f.device, e);
        }

        @Test
        void availableReportsAnAvailIdxJumpAndBreaksTheQueue() {
            f.availIdx(0xFFFF);

            VringException e = violation(f.device::available);

            assertViolation(e, AVAIL_IDX_JUMP, 0, 0xFFFF);
            f.assertStaysBroken(f.device, e);
        }

        @Test
        void anAvailIdxExactlyNumAheadIsNotAJump() {
            for (int d = 0; d < NUM; d++) {
                f.desc(d, f.da(d), 16, 0, 0);
                f.availSlot(d, NUM - 1 - d);
            }
            f.availIdx(NUM);

            assertThat(f.device.available()).isEqualTo(NUM);
            assertThat(takeGood(NUM)).containsExactly(7, 6, 5, 4, 3, 2, 1, 0);
            assertThat(f.device.isBroken()).isFalse();
        }

        @ParameterizedTest(name = "head {0}")
        @ValueSource(ints = {NUM, NUM + 1, 0x7FFF, 0x8000, 0xFFFF})
        void anAvailSlotNamingADescriptorBeyondNumBreaksTheQueue(int head) {
            int[] heads = f.offer(2);
            assertThat(takeGood(2)).containsExactly(heads[0], heads[1]);
            f.fakeOffer(2, head);

            VringException e = takeFails();

            assertViolation(e, DESC_INDEX_OUT_OF_RANGE, 2, head);
            f.assertStaysBroken(f.device, e);
        }

        @ParameterizedTest(name = "next {0}")
        @ValueSource(ints = {NUM, NUM + 1, 0x8000, 0xFFFF})
        void aNextBeyondNumBreaksTheQueue(int next) {
            f.desc(3, f.da(3), 16, F_NEXT, 5);
            f.desc(5, f.da(5), 16, F_NEXT | F_WRITE, next);
            f.fakeOffer(0, 3);

            VringException e = takeFails();

            assertViolation(e, NEXT_OUT_OF_RANGE, 5, next);
            f.assertStaysBroken(f.device, e);
        }

        @Test
        void aNextBeyondNumIsIgnoredWithoutTheNextFlag() {
            f.desc(3, f.da(3), 16, 0, 0xFFFF);
            f.fakeOffer(0, 3);

            assertThat(f.device.take(f.chain)).isTrue();
            assertThat(f.chain.size()).isEqualTo(1);
        }

        @Test
        void aDescriptorWhoseNextIsItselfBreaksTheQueue() {
            f.desc(2, f.da(2), 16, F_NEXT, 2);
            f.fakeOffer(0, 2);

            VringException e = takeFails();

            assertViolation(e, CHAIN_LOOP, 2, 2);
            f.assertStaysBroken(f.device, e);
        }

        @Test
        void aTwoDescriptorCycleBreaksTheQueue() {
            f.desc(1, f.da(1), 16, F_NEXT, 2);
            f.desc(2, f.da(2), 16, F_NEXT, 1);
            f.fakeOffer(0, 1);

            VringException e = takeFails();

            assertViolation(e, CHAIN_LOOP, 1, 1);
            f.assertStaysBroken(f.device, e);
        }

        @Test
        void aCycleThroughEveryDescriptorBreaksTheQueueAfterNumSteps() {
            for (int d = 0; d < NUM; d++) {
                f.desc(d, f.da(d), 16, F_NEXT, (d + 1) % NUM);
            }
            f.fakeOffer(0, 0);

            VringException e = takeFails();

            assertViolation(e, CHAIN_LOOP, 0, 0);
            f.assertStaysBroken(f.device, e);
        }

        @Test
        void aChainThatRunsBackIntoItsMiddleBreaksTheQueue() {
            f.desc(0, f.da(0), 16, F_NEXT, 1);
            f.desc(1, f.da(1), 16, F_NEXT, 2);
            f.desc(2, f.da(2), 16, F_NEXT, 1);
            f.fakeOffer(0, 0);

            VringException e = takeFails();

            assertViolation(e, CHAIN_LOOP, 1, 1);
            f.assertStaysBroken(f.device, e);
        }

        @Test
        void aChainOfExactlyNumDescriptorsIsNotALoop() {
            for (int d = 0; d < NUM; d++) {
                f.desc(d, f.da(d), 16, d < NUM - 1 ? F_NEXT : 0, d + 1);
            }
            f.fakeOffer(0, 0);

            assertThat(f.device.take(f.chain)).isTrue();
            assertThat(f.chain.size()).isEqualTo(NUM);
            assertThat(f.chain.totalLength()).isEqualTo(16L * NUM);
        }

        @Test
        void aHeadTheDeviceStillHoldsBreaksTheQueue() {
            f.desc(0, f.da(0), 16, 0, 0);
            f.fakeOffer(0, 0);
            assertThat(takeGood(1)).containsExactly(0);
            f.fakeOffer(1, 0);

            VringException e = takeFails();

            assertViolation(e, DESC_IN_USE, 0, 0);
            f.assertStaysBroken(f.device, e);
        }

        @Test
        void aChainRunningIntoADescriptorTheDeviceHoldsBreaksTheQueue() {
            f.desc(0, f.da(0), 16, F_NEXT, 1);
            f.desc(1, f.da(1), 16, F_WRITE, 0);
            f.fakeOffer(0, 0);
            takeGood(1);
            f.desc(2, f.da(2), 16, F_NEXT, 1);
            f.fakeOffer(1, 2);

            VringException e = takeFails();

            assertViolation(e, DESC_IN_USE, 1, 1);
            f.assertStaysBroken(f.device, e);
        }

        @Test
        void aDescriptorTheDeviceReturnedMayBeOfferedAgain() {
            f.desc(0, f.da(0), 16, F_NEXT, 1);
            f.desc(1, f.da(1), 16, F_WRITE, 0);
            f.fakeOffer(0, 0);
            takeGood(1);
            f.device.putUsed(0, 16);
            f.device.publishUsed();
            f.desc(2, f.da(2), 16, F_NEXT, 1);
            f.fakeOffer(1, 2);

            assertThat(f.device.take(f.chain)).isTrue();
            assertThat(f.chain.descriptor(1)).isEqualTo(1);
        }

        @Test
        void anIndirectDescriptorBreaksTheQueue() {
            f.desc(4, f.da(4), 16, F_INDIRECT, 0);
            f.fakeOffer(0, 4);

            VringException e = takeFails();

            assertViolation(e, INDIRECT_DESCRIPTOR, 4, F_INDIRECT);
            f.assertStaysBroken(f.device, e);
        }

        @Test
        void anIndirectDescriptorInsideAChainBreaksTheQueue() {
            f.desc(4, f.da(4), 16, F_NEXT, 6);
            f.desc(6, f.da(6), 16, F_INDIRECT | F_WRITE | F_NEXT, 1);
            f.fakeOffer(0, 4);

            VringException e = takeFails();

            assertViolation(e, INDIRECT_DESCRIPTOR, 6, F_INDIRECT | F_WRITE | F_NEXT);
            f.assertStaysBroken(f.device, e);
        }

        static Stream<Arguments> rangesOutsideTheRegion() {
            long size = new VringFixture(NUM).shm.byteSize();
            return Stream.of(
                    Arguments.of("an addr one past the end", size, 1),
                    Arguments.of("a range straddling the end", size - 8, 16),
                    Arguments.of("an addr far beyond the end", 0x1_0000_0000_0000L, 1),
                    Arguments.of("an addr + len overflowing u64", 0xFFFF_FFFF_FFFF_FFF0L, 0x20),
                    Arguments.of("an addr + len overflowing 2^63", Long.MAX_VALUE - 8, 16),
                    Arguments.of("an addr of 2^63", Long.MIN_VALUE, 0),
                    Arguments.of("a len of 2^32 - 1", 0x1000L, -1),
                    Arguments.of("a len one more than the region", 0L, (int) size + 1));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("rangesOutsideTheRegion")
        void aBufferOutsideTheSharedRegionBreaksTheQueue(String what, long addr, int len) {
            int[] heads = f.offer(1);
            assertThat(takeGood(1)).containsExactly(heads[0]);
            f.desc(5, addr, len, 0, 0);
            f.fakeOffer(1, 5);

            VringException e = takeFails();

            assertViolation(e, ADDRESS_OUTSIDE_REGION, 5, addr);
            assertThat(e.getCause()).isInstanceOf(AddressException.class);
            f.assertStaysBroken(f.device, e);
        }

        @Test
        void aSecondDescriptorOutsideTheRegionBreaksTheQueueNamingIt() {
            f.desc(0, f.da(0), 16, F_NEXT, 7);
            f.desc(7, f.shm.byteSize(), 16, F_WRITE, 0);
            f.fakeOffer(0, 0);

            VringException e = takeFails();

            assertViolation(e, ADDRESS_OUTSIDE_REGION, 7, f.shm.byteSize());
            f.assertStaysBroken(f.device, e);
        }

        static Stream<Arguments> deviceAddressesOutsideEveryWindow() {
            return Stream.of(
                    Arguments.of("a da in no window, whose pa lies below the region", 0x2000L, 16),
                    Arguments.of("a da in no window, whose pa lies above the region", 0x4000_0000_0000L, 16),
                    Arguments.of("a da range running past its window's end", WINDOW_DA + WINDOW_SIZE - 8, 16),
                    Arguments.of("a da range running into the window from below", WINDOW_DA - 8, 16),
                    Arguments.of("the region's own pa used as a da, len past the end",
                            WINDOW_PA + WINDOW_SIZE - 8, 16));
        }

        private static final long WINDOW_PA = 0x8000_0000L;
        private static final long WINDOW_DA = 0x1000_0000L;
        private static final long WINDOW_SIZE = new VringFixture(NUM).shm.byteSize();

        @ParameterizedTest(name = "{0}")
        @MethodSource("deviceAddressesOutsideEveryWindow")
        void withAnAddressEnvironmentADaOutsideTheRegionBreaksTheQueue(String what, long da, int len) {
            VringFixture g = new VringFixture(NUM, WINDOW_PA,
                    AddressEnvironment.of(new AddressWindow(WINDOW_PA, WINDOW_DA, WINDOW_SIZE)));
            assertThat(g.da(0)).isEqualTo(WINDOW_DA + g.buffers);
            g.offer(1);
            assertThat(g.device.take(g.chain)).isTrue();
            assertThat(g.chain.offset(0)).isEqualTo(g.offsetOf(0));
            g.desc(3, da, len, 0, 0);
            g.fakeOffer(1, 3);

            VringException e = violation(() -> g.device.take(g.chain));

            assertViolation(e, ADDRESS_OUTSIDE_REGION, 3, da);
            assertThat(e.getCause()).isInstanceOf(AddressException.class);
            g.assertStaysBroken(g.device, e);
        }
    }

    /** The driver side: the device wrote something impossible into the used ring. */
    @Nested
    class TheDriver {
        private final VringFixture f = new VringFixture(NUM);
        private final List<Integer> reaped = new ArrayList<>();
        private final List<Integer> lengths = new ArrayList<>();

        private int reap() {
            return f.driver.reap((token, head, len) -> {
                reaped.add(token);
                lengths.add(len);
            }, Integer.MAX_VALUE);
        }

        private VringException reapFails() {
            return violation(this::reap);
        }

        @Test
        void aUsedIdxBeyondTheOutstandingBuffersBreaksTheQueue() {
            int[] heads = f.offer(3);
            f.fakeReturn(0, heads[0], 1);
            f.fakeReturn(1, heads[1], 2);
            assertThat(reap()).isEqualTo(2);
            assertThat(reaped).containsExactly(0, 1);
            f.usedIdx(4);

            VringException e = reapFails();

            assertViolation(e, USED_IDX_JUMP, 2, 4);
            f.assertStaysBroken(f.driver, e);
            assertThat(reaped).containsExactly(0, 1);
        }

        @Test
        void aUsedIdxMovingWhileNothingIsOutstandingBreaksTheQueue() {
            f.usedIdx(1);

            VringException e = reapFails();

            assertViolation(e, USED_IDX_JUMP, 0, 1);
            f.assertStaysBroken(f.driver, e);
        }

        @Test
        void aUsedIdxJumpingByMoreThanNumBreaksTheQueue() {
            f.offer(NUM);
            f.usedIdx(NUM + 1);

            VringException e = reapFails();

            assertViolation(e, USED_IDX_JUMP, 0, NUM + 1);
            f.assertStaysBroken(f.driver, e);
            assertThat(reaped).isEmpty();
        }

        @Test
        void aUsedIdxMovingBackwardsBreaksTheQueue() {
            int[] heads = f.offer(3);
            f.fakeReturn(0, heads[0], 0);
            f.fakeReturn(1, heads[1], 0);
            reap();
            f.usedIdx(1);

            VringException e = reapFails();

            assertViolation(e, USED_IDX_JUMP, 2, 1);
            f.assertStaysBroken(f.driver, e);
        }

        @Test
        void aUsedIdxCountingEveryBufferBackIsNotAJump() {
            int[] heads = f.offer(NUM);
            for (int i = 0; i < NUM; i++) {
                f.fakeReturn(i, heads[NUM - 1 - i], i);
            }

            assertThat(reap()).isEqualTo(NUM);
            assertThat(reaped).containsExactly(7, 6, 5, 4, 3, 2, 1, 0);
            assertThat(f.driver.isBroken()).isFalse();
        }

        @ParameterizedTest(name = "id {0}")
        @ValueSource(ints = {NUM, NUM + 1, 0xFFFF, 0x10000, 0x8000_0000, 0xFFFF_FFFF})
        void aUsedIdBeyondNumBreaksTheQueue(int id) {
            int[] heads = f.offer(4);
            f.fakeReturn(0, heads[0], 0);
            f.fakeReturn(1, heads[1], 0);
            f.fakeReturn(2, heads[2], 0);
            f.fakeReturn(3, id, 0);

            VringException e = reapFails();

            assertViolation(e, USED_ID_NOT_OUTSTANDING, 3, Integer.toUnsignedLong(id));
            f.assertStaysBroken(f.driver, e);
            assertThat(reaped).as("the three good entries before the bad one").containsExactly(0, 1, 2);
            assertThat(f.driver.inFlight()).isEqualTo(1);
            assertThat(f.driver.freeDescriptors()).isEqualTo(NUM - 1);
        }

        @Test
        void aUsedIdNeverPublishedBreaksTheQueue() {
            int[] heads = f.offer(3);
            assertThat(heads).containsExactly(0, 1, 2);
            f.fakeReturn(0, 5, 0);

            VringException e = reapFails();

            assertViolation(e, USED_ID_NOT_OUTSTANDING, 0, 5);
            f.assertStaysBroken(f.driver, e);
        }

        @Test
        void aUsedIdAlreadyReapedBreaksTheQueue() {
            int[] heads = f.offer(3);
            f.fakeReturn(0, heads[1], 0);
            assertThat(reap()).isEqualTo(1);
            f.fakeReturn(1, heads[1], 0);

            VringException e = reapFails();

            assertViolation(e, USED_ID_NOT_OUTSTANDING, 1, heads[1]);
            f.assertStaysBroken(f.driver, e);
            assertThat(reaped).containsExactly(1);
        }

        @Test
        void aUsedIdReturnedTwiceInOneBatchBreaksTheQueueAfterTheFirst() {
            int[] heads = f.offer(3);
            f.usedElement(0, heads[2], 7);
            f.usedElement(1, heads[2], 7);
            f.usedIdx(2);

            VringException e = reapFails();

            assertViolation(e, USED_ID_NOT_OUTSTANDING, 1, heads[2]);
            assertThat(reaped).containsExactly(2);
            assertThat(lengths).containsExactly(7);
            f.assertStaysBroken(f.driver, e);
        }

        @Test
        void aUsedIdAddedButNotYetPublishedBreaksTheQueue() {
            int[] heads = f.offer(2);
            int unpublished = f.add(2, true);
            f.fakeReturn(0, heads[0], 0);
            f.fakeReturn(1, unpublished, 0);

            VringException e = reapFails();

            assertViolation(e, USED_ID_NOT_OUTSTANDING, 1, unpublished);
            assertThat(reaped).containsExactly(0);
            f.assertStaysBroken(f.driver, e);
        }

        @Test
        void aUsedIdNamingTheMiddleOfAChainBreaksTheQueue() {
            int head = f.driver.addChain(new long[] {f.da(0), f.da(1), f.da(2)}, new int[] {16, 16, 16}, 3, 1, 0);
            f.driver.publish();
            f.fakeReturn(0, head + 1, 0);

            VringException e = reapFails();

            assertViolation(e, USED_ID_NOT_OUTSTANDING, 0, head + 1);
            f.assertStaysBroken(f.driver, e);
        }

        @ParameterizedTest(name = "len {0}")
        @ValueSource(ints = {BUFFER_SIZE + 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF})
        void aUsedLengthBeyondTheBufferBreaksTheQueue(int len) {
            int[] heads = f.offer(3);
            f.fakeReturn(0, heads[0], BUFFER_SIZE);
            f.fakeReturn(1, heads[1], len);

            VringException e = reapFails();

            assertViolation(e, USED_LENGTH_BEYOND_BUFFER, 1, Integer.toUnsignedLong(len));
            assertThat(reaped).containsExactly(0);
            assertThat(lengths).containsExactly(BUFFER_SIZE);
            f.assertStaysBroken(f.driver, e);
        }

        @Test
        void aUsedLengthBeyondAChainsTotalBreaksTheQueue() {
            long[] da = {f.da(0), f.da(1)};
            int[] len = {16, 32};
            int first = f.driver.addChain(da, len, 2, 1, 10);
            int second = f.driver.addChain(da, len, 2, 1, 11);
            f.driver.publish();
            f.fakeReturn(0, first, 48);
            f.fakeReturn(1, second, 49);

            VringException e = reapFails();

            assertViolation(e, USED_LENGTH_BEYOND_BUFFER, 1, 49);
            assertThat(reaped).containsExactly(10);
            assertThat(lengths).containsExactly(48);
            f.assertStaysBroken(f.driver, e);
        }
    }

    /** The checks a {@link VirtqueuePort} adds on the device side: single buffers, the right direction. */
    @Nested
    class TheDevicePort {
        private final VringFixture f = new VringFixture(NUM);
        private final List<VringBuffer> received = new ArrayList<>();

        private VirtqueuePort devicePort(Mode mode) {
            return VirtqueuePort.device(VringFixture.NAME, f.vring, f.region, mode, Notifier.NONE);
        }

        private static void assertPortStaysBroken(VirtqueuePort port, VringException e) {
            assertThat(port.isBroken()).isTrue();
            assertThat(port.brokenBy()).isSameAs(e);
            if (port.mode() == Mode.RECEIVE) {
                assertThat(catchThrowable(() -> port.receive(b -> { }, 10))).isSameAs(e);
            } else {
                assertThat(catchThrowable(port::acquire)).isSameAs(e);
            }
            assertThat(catchThrowable(port::flush)).isSameAs(e);
        }

        @Test
        void aChainOnAPortThatTakesSingleBuffersBreaksTheQueue() {
            VirtqueuePort port = devicePort(Mode.RECEIVE);
            int good = f.add(0, false);
            int chained = f.driver.addChain(new long[] {f.da(1), f.da(2)}, new int[] {16, 16}, 2, 2, 1);
            f.driver.publish();

            VringException e = violation(() -> port.receive(received::add, 10));

            assertViolation(e, UNEXPECTED_CHAIN, chained, 2);
            assertThat(received).extracting(VringBuffer::offset).containsExactly(f.offsetOf(0));
            assertThat(good).isNotEqualTo(chained);
            assertPortStaysBroken(port, e);
            f.assertStaysBroken((VirtqueueDevice) port.queue(), e);
        }

        @Test
        void aDeviceWritableBufferOnAQueueTheDeviceReadsBreaksTheQueue() {
            VirtqueuePort port = devicePort(Mode.RECEIVE);
            f.add(0, false);
            int writable = f.add(1, true);
            f.driver.publish();

            VringException e = violation(() -> port.receive(received::add, 10));

            assertViolation(e, WRONG_DIRECTION, writable, 1);
            assertThat(received).extracting(VringBuffer::offset).containsExactly(f.offsetOf(0));
            assertPortStaysBroken(port, e);
        }

        @Test
        void aReadOnlyBufferOnAQueueTheDeviceWritesBreaksTheQueue() {
            VirtqueuePort port = devicePort(Mode.SEND);
            int readOnly = f.add(0, false);
            f.driver.publish();

            VringException e = violation(port::acquire);

            assertViolation(e, WRONG_DIRECTION, readOnly, 0);
            assertPortStaysBroken(port, e);
        }

        @Test
        void aChainOnAPortTheDeviceWritesBreaksTheQueue() {
            VirtqueuePort port = devicePort(Mode.SEND);
            int chained = f.driver.addChain(new long[] {f.da(1), f.da(2)}, new int[] {16, 16}, 2, 0, 1);
            f.driver.publish();

            VringException e = violation(port::acquire);

            assertViolation(e, UNEXPECTED_CHAIN, chained, 2);
            assertPortStaysBroken(port, e);
        }
    }

    /** A device given a buffer window (the carveout heap, say) refuses buffers elsewhere in the region. */
    @Nested
    class ADeviceWithABufferWindow {
        private final VringFixture f = new VringFixture(NUM);
        private final VirtqueueDevice windowed = new VirtqueueDevice(VringFixture.NAME, f.vring, f.region,
                f.offsetOf(0), f.offsetOf(NUM));

        @Test
        void takesEveryBufferInsideTheWindow() {
            f.desc(0, f.da(0), VringFixture.BUFFER_SIZE, 0, 0);
            f.desc(1, f.da(NUM - 1), VringFixture.BUFFER_SIZE, 0, 0);
            f.fakeOffer(0, 0);
            f.fakeOffer(1, 1);
            assertThat(windowed.take(f.chain)).isTrue();
            assertThat(windowed.take(f.chain)).isTrue();
            assertThat(f.chain.offset(0)).isEqualTo(f.offsetOf(NUM - 1));
        }

        @Test
        void aBufferPointingAtTheVringItselfBreaksTheQueue() {
            f.desc(2, 0, 64, F_WRITE, 0);
            f.fakeOffer(0, 2);

            VringException e = violation(() -> windowed.take(f.chain));

            assertViolation(e, BUFFER_OUTSIDE_WINDOW, 2, 0);
            assertThat(windowed.isBroken()).isTrue();
            assertThat(catchThrowable(() -> windowed.take(f.chain))).isSameAs(e);
        }

        /**
         * A descriptor that passed once is checked again when the driver rewrites it: what a device that remembers
         * passed checks per descriptor (tried, see docs/benchmarks.md) must keep doing.
         */
        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"moved onto the vring", "grown past the window by one byte"})
        void aDescriptorThatPassedOnceIsCheckedAgainWhenTheDriverRewritesIt(String how) {
            f.desc(3, f.da(NUM - 1), VringFixture.BUFFER_SIZE, 0, 0);
            f.fakeOffer(0, 3);
            assertThat(windowed.take(f.chain)).isTrue();
            windowed.putUsed(3, 0);
            f.fakeOffer(1, 3); // the same buffer again: passes as before
            assertThat(windowed.take(f.chain)).isTrue();
            assertThat(f.chain.offset(0)).isEqualTo(f.offsetOf(NUM - 1));
            windowed.putUsed(3, 0);

            boolean moved = how.startsWith("moved");
            long addr = moved ? 0 : f.da(NUM - 1);
            f.desc(3, addr, moved ? VringFixture.BUFFER_SIZE : VringFixture.BUFFER_SIZE + 1, 0, 0);
            f.fakeOffer(2, 3);

            VringException e = violation(() -> windowed.take(f.chain));

            assertViolation(e, BUFFER_OUTSIDE_WINDOW, 3, addr);
        }

        @Test
        void aBufferThatRunsOutOfTheWindowByOneByteBreaksTheQueue() {
            f.desc(4, f.da(NUM - 1), VringFixture.BUFFER_SIZE + 1, 0, 0);
            f.fakeOffer(0, 4);

            VringException e = violation(() -> windowed.take(f.chain));

            assertViolation(e, BUFFER_OUTSIDE_WINDOW, 4, f.da(NUM - 1));
        }

        @Test
        void aWindowOutsideTheRegionIsRefused() {
            assertThatThrownBy(() -> new VirtqueueDevice("w", f.vring, f.region, 0, f.region.size() + 1))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new VirtqueueDevice("w", f.vring, f.region, 10, 9))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void everyReasonARawQueueOrAPortCanReportIsCoveredHere() {
        assertThat(Reason.values()).containsExactlyInAnyOrder(AVAIL_IDX_JUMP, USED_IDX_JUMP,
                DESC_INDEX_OUT_OF_RANGE, NEXT_OUT_OF_RANGE, CHAIN_LOOP, DESC_IN_USE, INDIRECT_DESCRIPTOR,
                ADDRESS_OUTSIDE_REGION, BUFFER_OUTSIDE_WINDOW, USED_ID_NOT_OUTSTANDING, USED_LENGTH_BEYOND_BUFFER,
                UNEXPECTED_CHAIN, WRONG_DIRECTION);
    }
}
