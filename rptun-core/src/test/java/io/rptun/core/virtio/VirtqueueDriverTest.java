package io.rptun.core.virtio;

import static io.rptun.core.virtio.VringFixture.BUFFER_SIZE;
import static io.rptun.core.virtio.VringFixture.assertViolation;
import static io.rptun.core.virtio.VringFixture.violation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.virtio.VringException.Reason;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link VirtqueueDriver} against a real {@link VirtqueueDevice} over one vring, in one thread: batches,
 * chains, running out of descriptors, notification suppression, u16 wrap-around, and the driver's local
 * shadows of what it owns.
 */
class VirtqueueDriverTest {
    private static final int NUM = 8;
    private final VringFixture f = new VringFixture(NUM);
    private final List<Integer> reaped = new ArrayList<>();
    private final List<Integer> lengths = new ArrayList<>();

    private int reap(int max) {
        return f.driver.reap((token, head, len) -> {
            reaped.add(token);
            lengths.add(len);
        }, max);
    }

    @Test
    void aNewDriverOwnsEveryDescriptorAndHasNothingInFlight() {
        assertThat(f.driver.freeDescriptors()).isEqualTo(NUM);
        assertThat(f.driver.inFlight()).isZero();
        assertThat(f.driver.unpublished()).isZero();
        assertThat(f.driver.hasUsed()).isFalse();
        assertThat(f.driver.publish()).isZero();
        assertThat(f.driver.kickPrepare()).isFalse();
        assertThat(reap(Integer.MAX_VALUE)).isZero();
        assertThat(f.availIdx()).isZero();
        assertThat(f.availFlags()).isZero();
    }

    @Test
    void manyAddedBuffersReachTheDeviceWithOneAvailIdxStore() {
        int[] heads = new int[6];
        for (int i = 0; i < heads.length; i++) {
            heads[i] = f.add(i, i % 2 == 0);
            assertThat(f.availIdx()).as("avail.idx after %d adds", i + 1).isZero();
        }
        assertThat(f.driver.unpublished()).isEqualTo(6);
        assertThat(f.driver.inFlight()).isZero();
        assertThat(f.device.available()).isZero();
        assertThat(f.device.take(f.chain)).isFalse();

        assertThat(f.driver.publish()).isEqualTo(6);

        assertThat(f.availIdx()).isEqualTo(6);
        assertThat(f.driver.unpublished()).isZero();
        assertThat(f.driver.inFlight()).isEqualTo(6);
        assertThat(f.driver.freeDescriptors()).isEqualTo(NUM - 6);
        assertThat(f.device.available()).isEqualTo(6);
        for (int i = 0; i < heads.length; i++) {
            assertThat(f.device.take(f.chain)).isTrue();
            assertThat(f.chain.head()).isEqualTo(heads[i]);
            assertThat(f.chain.size()).isEqualTo(1);
            assertThat(f.chain.da(0)).isEqualTo(f.da(i));
            assertThat(f.chain.offset(0)).isEqualTo(f.offsetOf(i));
            assertThat(f.chain.length(0)).isEqualTo(BUFFER_SIZE);
            assertThat(f.chain.isWritable(0)).isEqualTo(i % 2 == 0);
        }
        assertThat(f.device.take(f.chain)).isFalse();
    }

    @Test
    void publishingWithNothingAddedStoresNothing() {
        f.offer(2);
        assertThat(f.driver.publish()).isZero();
        assertThat(f.availIdx()).isEqualTo(2);
    }

    @Test
    void reapHandsBackEveryReturnedBufferInOnePass() {
        f.offer(NUM);
        for (int i = 0; i < NUM; i++) {
            assertThat(f.device.take(f.chain)).isTrue();
            f.device.putUsed(f.chain.head(), i * 10);
        }
        assertThat(f.device.publishUsed()).isEqualTo(NUM);
        assertThat(f.driver.hasUsed()).isTrue();

        assertThat(reap(Integer.MAX_VALUE)).isEqualTo(NUM);

        assertThat(reaped).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(lengths).containsExactly(0, 10, 20, 30, 40, 50, 60, 70);
        assertThat(f.driver.freeDescriptors()).isEqualTo(NUM);
        assertThat(f.driver.inFlight()).isZero();
        assertThat(f.driver.hasUsed()).isFalse();
        assertThat(reap(Integer.MAX_VALUE)).isZero();
    }

    @Test
    void reapTakesNoMoreThanMaxAndLeavesTheRestForTheNextPass() {
        f.offer(NUM);
        f.echo(NUM);

        assertThat(reap(3)).isEqualTo(3);
        assertThat(reaped).containsExactly(0, 1, 2);
        assertThat(f.driver.hasUsed()).isTrue();
        assertThat(f.driver.inFlight()).isEqualTo(NUM - 3);
        assertThat(reap(0)).isZero();

        assertThat(reap(100)).isEqualTo(NUM - 3);
        assertThat(reaped).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(f.driver.hasUsed()).isFalse();
    }

    @Test
    void reapWithANegativeMaxTakesNothing() {
        f.offer(2);
        f.echo(2);

        assertThat(reap(-1)).isZero();
        assertThat(reap(Integer.MIN_VALUE)).isZero();
        assertThat(reaped).isEmpty();
        assertThat(f.driver.hasUsed()).isTrue();
        assertThat(f.driver.inFlight()).isEqualTo(2);
    }

    @Test
    void theReapHandlerMayAddBuffersAgainBecauseTheirDescriptorsAreAlreadyFree() {
        f.offer(NUM);
        f.echo(NUM);
        assertThat(f.driver.freeDescriptors()).isZero();

        int reapedCount = f.driver.reap((token, head, len) -> {
            assertThat(f.driver.add(f.da(token), BUFFER_SIZE, false, token + 100))
                    .isNotEqualTo(VirtqueueDriver.NO_DESCRIPTOR);
        }, Integer.MAX_VALUE);

        assertThat(reapedCount).isEqualTo(NUM);
        assertThat(f.driver.publish()).isEqualTo(NUM);
        f.echo(NUM);
        reap(Integer.MAX_VALUE);
        assertThat(reaped).containsExactly(100, 101, 102, 103, 104, 105, 106, 107);
    }

    @Test
    void addReturnsNoDescriptorWhenEveryDescriptorIsInUse() {
        Set<Integer> heads = new HashSet<>();
        for (int i = 0; i < NUM; i++) {
            heads.add(f.add(i, false));
        }
        assertThat(heads).hasSize(NUM).allMatch(h -> h >= 0 && h < NUM);

        assertThat(f.driver.add(f.da(NUM), 16, false, NUM)).isEqualTo(VirtqueueDriver.NO_DESCRIPTOR);
        assertThat(f.driver.addChain(new long[] {f.da(NUM)}, new int[] {16}, 1, 1, NUM))
                .isEqualTo(VirtqueueDriver.NO_DESCRIPTOR);
        assertThat(f.driver.isBroken()).isFalse();
        assertThat(f.driver.unpublished()).isEqualTo(NUM);

        assertThat(f.driver.publish()).isEqualTo(NUM);
        assertThat(f.driver.add(f.da(NUM), 16, false, NUM)).isEqualTo(VirtqueueDriver.NO_DESCRIPTOR);
        f.echo(1);
        assertThat(reap(Integer.MAX_VALUE)).isEqualTo(1);
        assertThat(f.driver.add(f.da(NUM), 16, false, NUM)).isEqualTo(reaped.getFirst());
    }

    @Test
    void addChainReturnsNoDescriptorWhenFewerThanCountAreFree() {
        f.offer(NUM - 2);
        long[] da = {f.da(10), f.da(11), f.da(12)};
        int[] len = {16, 16, 16};

        assertThat(f.driver.addChain(da, len, 3, 1, 99)).isEqualTo(VirtqueueDriver.NO_DESCRIPTOR);
        assertThat(f.driver.freeDescriptors()).isEqualTo(2);
        assertThat(f.driver.unpublished()).isZero();
        assertThat(f.driver.addChain(da, len, 2, 1, 99)).isNotEqualTo(VirtqueueDriver.NO_DESCRIPTOR);
        assertThat(f.driver.freeDescriptors()).isZero();
    }

    @Test
    void aChainReachesTheDeviceAsItsReadablePartsThenItsWritableParts() {
        long[] da = {f.da(3), f.da(4), f.da(5), f.da(6)};
        int[] len = {16, 32, 64, 128};
        int head = f.driver.addChain(da, len, 4, 2, 42);
        assertThat(f.driver.freeDescriptors()).isEqualTo(NUM - 4);
        assertThat(f.driver.publish()).isOne();

        assertThat(f.device.take(f.chain)).isTrue();

        assertThat(f.chain.head()).isEqualTo(head);
        assertThat(f.chain.descriptor(0)).isEqualTo(head);
        assertThat(f.chain.size()).isEqualTo(4);
        Set<Integer> descriptors = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            descriptors.add(f.chain.descriptor(i));
            assertThat(f.chain.da(i)).isEqualTo(da[i]);
            assertThat(f.chain.offset(i)).isEqualTo(f.offsetOf(3 + i));
            assertThat(f.chain.length(i)).isEqualTo(len[i]);
            assertThat(f.chain.isWritable(i)).as("part %d writable", i).isEqualTo(i >= 2);
            assertThat(f.chain.segment(f.region, i).byteSize()).isEqualTo(len[i]);
        }
        assertThat(descriptors).hasSize(4);
        assertThat(f.chain.totalLength()).isEqualTo(240);
        assertThatThrownBy(() -> f.chain.descriptor(4)).isInstanceOf(IndexOutOfBoundsException.class);

        f.device.putUsed(head, 192);
        f.device.publishUsed();
        assertThat(reap(Integer.MAX_VALUE)).isOne();
        assertThat(reaped).containsExactly(42);
        assertThat(lengths).containsExactly(192);
        assertThat(f.driver.freeDescriptors()).isEqualTo(NUM);
    }

    @Test
    void aChainWithNoWritablePartIsReadOnlyAndOneWithNoReadablePartIsWriteOnly() {
        long[] da = {f.da(0), f.da(1)};
        int[] len = {16, 16};
        f.driver.addChain(da, len, 2, 2, 1);
        f.driver.addChain(da, len, 2, 0, 2);
        f.driver.publish();

        assertThat(f.device.take(f.chain)).isTrue();
        assertThat(f.chain.isWritable(0) || f.chain.isWritable(1)).isFalse();
        assertThat(f.device.take(f.chain)).isTrue();
        assertThat(f.chain.isWritable(0) && f.chain.isWritable(1)).isTrue();
    }

    @Test
    void addChainRefusesABadCountOrShortArrays() {
        long[] da = {f.da(0), f.da(1)};
        int[] len = {16, 16};
        assertThatThrownBy(() -> f.driver.addChain(da, len, 0, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.driver.addChain(new long[NUM + 1], new int[NUM + 1], NUM + 1, 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.driver.addChain(da, len, 3, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.driver.addChain(new long[3], len, 3, 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.driver.addChain(da, len, 2, -1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.driver.addChain(da, len, 2, 3, 1)).isInstanceOf(IllegalArgumentException.class);

        assertThat(f.driver.isBroken()).isFalse();
        assertThat(f.driver.freeDescriptors()).isEqualTo(NUM);
        assertThat(f.driver.unpublished()).isZero();
    }

    @Test
    void chainsAndSingleBuffersReturnedInAnyOrderGiveEveryDescriptorBack() {
        Random random = new Random(7);
        List<Integer> taken = new ArrayList<>();
        int token = 0;
        for (int round = 0; round < 2_000; round++) {
            int count = 1 + random.nextInt(3);
            int head = count == 1 ? f.driver.add(f.da(0), 16, false, token)
                    : f.driver.addChain(new long[] {f.da(0), f.da(1), f.da(2)}, new int[] {8, 8, 8}, count,
                            random.nextInt(count + 1), token);
            if (head != VirtqueueDriver.NO_DESCRIPTOR) {
                token++;
            }
            f.driver.publish();
            while (f.device.take(f.chain)) {
                taken.add(f.chain.head());
            }
            int returns = random.nextInt(taken.size() + 1);
            for (int i = 0; i < returns; i++) {
                f.device.putUsed(taken.remove(random.nextInt(taken.size())), 0);
            }
            f.device.publishUsed();
            reap(random.nextInt(NUM + 1));
        }
        for (int head : taken) {
            f.device.putUsed(head, 0);
        }
        f.device.publishUsed();
        reap(Integer.MAX_VALUE);

        assertThat(f.driver.freeDescriptors()).isEqualTo(NUM);
        assertThat(f.driver.inFlight()).isZero();
        assertThat(reaped).hasSize(token).doesNotHaveDuplicates();
        Set<Integer> heads = new HashSet<>();
        for (int i = 0; i < NUM; i++) {
            heads.add(f.driver.add(f.da(0), 16, false, -1));
        }
        assertThat(heads).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7);
    }

    @Test
    void kickPrepareSaysKickOncePerPublishedBatch() {
        f.offer(3);
        assertThat(f.driver.kickPrepare()).isTrue();
        assertThat(f.driver.kickPrepare()).as("nothing new since the last kick").isFalse();

        assertThat(f.driver.publish()).isZero();
        assertThat(f.driver.kickPrepare()).isFalse();

        f.add(3, false);
        assertThat(f.driver.kickPrepare()).as("added but not published").isFalse();
        f.driver.publish();
        assertThat(f.driver.kickPrepare()).isTrue();
        assertThat(f.driver.kickPrepare()).isFalse();
    }

    @Test
    void kickPrepareStillSaysKickWhenExactly65536BuffersWerePublishedSinceItWasLastAsked() {
        for (int i = 0; i < 65536 / NUM; i++) {
            f.offer(NUM);
            f.echo(NUM);
            reap(Integer.MAX_VALUE);
        }
        assertThat(f.availIdx()).isZero();

        assertThat(f.driver.kickPrepare()).isTrue();
        assertThat(f.driver.kickPrepare()).isFalse();
    }

    @Test
    void kickPrepareSaysNoKickWhenTheDeviceSetNoNotify() {
        f.device.disableNotifications();
        assertThat(f.usedFlags()).isEqualTo(VringUsedLayout.F_NO_NOTIFY);
        f.offer(2);
        assertThat(f.driver.kickPrepare()).isFalse();

        assertThat(f.device.enableNotifications()).as("work is already pending").isTrue();
        assertThat(f.usedFlags()).isZero();
        f.add(2, false);
        f.driver.publish();
        assertThat(f.driver.kickPrepare()).isTrue();
    }

    @Test
    void disableInterruptsAsksTheDeviceNotToNotifyAndEnableInterruptsReportsWaitingBuffers() {
        f.driver.disableInterrupts();
        assertThat(f.availFlags()).isEqualTo(VringAvailLayout.F_NO_INTERRUPT);
        f.offer(2);
        f.echo(2);
        assertThat(f.device.kickPrepare()).isFalse();

        assertThat(f.driver.enableInterrupts()).as("used buffers are already waiting").isTrue();
        assertThat(f.availFlags()).isZero();
        reap(Integer.MAX_VALUE);
        assertThat(f.driver.enableInterrupts()).isFalse();

        f.offer(1);
        f.echo(1);
        assertThat(f.device.kickPrepare()).isTrue();
    }

    @Test
    void moreThanThreeTimes65536BuffersRunThroughANum8RingInOrder() {
        int total = 3 * 65536 + 1234;
        int sent = 0;
        int received = 0;
        int reapedCount = 0;
        int batches = 0;
        int[] expectedReap = {0};
        while (reapedCount < total) {
            int batch = Math.min(1 + batches % NUM, total - sent);
            for (int i = 0; i < batch && f.driver.freeDescriptors() > 0; i++) {
                long offset = f.offsetOf(sent % (2 * NUM));
                f.shm.set(ValueLayout.JAVA_INT, offset, sent);
                assertThat(f.driver.add(f.da(sent % (2 * NUM)), 64, false, sent)).isNotNegative();
                sent++;
            }
            f.driver.publish();
            batches++;
            List<Integer> heads = new ArrayList<>();
            while (f.device.take(f.chain)) {
                int value = f.region.segment().get(ValueLayout.JAVA_INT, f.chain.offset(0));
                if (value != received) {
                    throw new AssertionError("device got " + value + ", expected " + received);
                }
                received++;
                heads.add(f.chain.head());
            }
            for (int head : heads) {
                f.device.putUsed(head, 64);
            }
            f.device.publishUsed();
            reapedCount += f.driver.reap((token, head, len) -> {
                if (token != expectedReap[0] || len != 64) {
                    throw new AssertionError("reaped " + token + "/" + len + ", expected " + expectedReap[0]);
                }
                expectedReap[0]++;
            }, Integer.MAX_VALUE);
        }
        assertThat(received).isEqualTo(total);
        assertThat(expectedReap[0]).isEqualTo(total);
        assertThat(f.availIdx()).isEqualTo(total & 0xFFFF);
        assertThat(f.usedIdx()).isEqualTo(total & 0xFFFF);
        assertThat(f.driver.freeDescriptors()).isEqualTo(NUM);
    }

    // ---- the driver's shadows: what it owns in shared memory, it never reads back ----

    @Test
    void theDriverKeepsPublishingTheRightAvailIdxWhenSomeoneElseOverwritesIt() {
        f.offer(3);
        f.availIdx(0x1234);

        f.add(3, false);
        f.add(4, false);
        assertThat(f.driver.publish()).isEqualTo(2);

        assertThat(f.availIdx()).isEqualTo(5);
        assertThat(f.device.available()).isEqualTo(5);
    }

    @Test
    void theDriverMarksPublishedWhatItAddedNotWhatTheAvailRingSaysNow() {
        int first = f.add(0, false);
        int second = f.add(1, false);
        f.availSlot(0, second);
        f.driver.publish();

        f.fakeReturn(0, first, 0);
        assertThat(reap(Integer.MAX_VALUE)).isOne();
        assertThat(reaped).containsExactly(0);
        assertThat(f.driver.isBroken()).isFalse();
    }

    @Test
    void theDriverChecksUsedLengthsAgainstItsOwnCopyOfTheBufferLength() {
        int head = f.offer(1)[0];
        assertThat(f.device.take(f.chain)).isTrue();
        f.desc(head, f.da(0), 0, 0, 0);
        f.device.putUsed(head, BUFFER_SIZE);
        f.device.publishUsed();

        assertThat(reap(Integer.MAX_VALUE)).isOne();
        assertThat(lengths).containsExactly(BUFFER_SIZE);
    }

    @Test
    void aDescriptorLengthRewrittenInSharedMemoryDoesNotLetALongerUsedLengthThrough() {
        int head = f.offer(1)[0];
        f.desc(head, f.da(0), -1, 0, 0);
        f.fakeReturn(0, head, BUFFER_SIZE + 1);

        VringException e = violation(() -> reap(Integer.MAX_VALUE));

        assertViolation(e, Reason.USED_LENGTH_BEYOND_BUFFER, 0, BUFFER_SIZE + 1);
    }

    @Test
    void theDriverFreesTheChainItAddedEvenIfItsDescriptorsWereRewritten() {
        int head = f.driver.addChain(new long[] {f.da(0), f.da(1), f.da(2)}, new int[] {16, 16, 16}, 3, 1, 7);
        f.driver.publish();
        assertThat(f.device.take(f.chain)).isTrue();
        for (int i = 0; i < 3; i++) {
            f.desc(f.chain.descriptor(i), -1L, -1, 0xFFFF, head);
        }
        f.device.putUsed(head, 48);
        f.device.publishUsed();

        assertThat(reap(Integer.MAX_VALUE)).isOne();
        assertThat(f.driver.freeDescriptors()).isEqualTo(NUM);
        Set<Integer> heads = new HashSet<>();
        for (int i = 0; i < NUM; i++) {
            heads.add(f.add(i, false));
        }
        assertThat(heads).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(f.driver.publish()).isEqualTo(NUM);
        for (int i = 0; i < NUM; i++) {
            assertThat(f.device.take(f.chain)).isTrue();
            assertThat(f.chain.offset(0)).isEqualTo(f.offsetOf(i));
        }
    }
}
