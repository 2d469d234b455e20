package io.rptun.core.virtio;

import static io.rptun.core.virtio.VringDescLayout.F_NEXT;
import static io.rptun.core.virtio.VringDescLayout.F_WRITE;
import static io.rptun.core.virtio.VringFixture.BUFFER_SIZE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.AddressWindow;
import io.rptun.core.memory.SharedRegion;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link VirtqueueDevice} against a real {@link VirtqueueDriver} over one vring, in one thread: taking,
 * returning many buffers with one used.idx store, the caller's mistakes in {@link VirtqueueDevice#putUsed},
 * notification suppression, address translation, and the device's local shadows of what it owns.
 */
class VirtqueueDeviceTest {
    private static final int NUM = 8;
    private final VringFixture f = new VringFixture(NUM);

    @Test
    void aNewDeviceHasNothingToTake() {
        assertThat(f.device.available()).isZero();
        assertThat(f.device.hasAvailable()).isFalse();
        assertThat(f.device.take(f.chain)).isFalse();
        assertThat(f.device.held()).isZero();
        assertThat(f.device.publishUsed()).isZero();
        assertThat(f.device.kickPrepare()).isFalse();
        assertThat(f.usedIdx()).isZero();
        assertThat(f.usedFlags()).isZero();
        assertThat(f.device.region()).isSameAs(f.region);
    }

    @Test
    void theDeviceTakesBuffersInAvailOrderWithTheirAddressesTranslated() {
        int[] heads = new int[5];
        for (int i = 0; i < heads.length; i++) {
            heads[i] = f.add(i, i >= 3);
        }
        f.driver.publish();
        assertThat(f.device.hasAvailable()).isTrue();

        for (int i = 0; i < heads.length; i++) {
            assertThat(f.device.available()).isEqualTo(heads.length - i);
            assertThat(f.device.take(f.chain)).isTrue();
            assertThat(f.chain.head()).isEqualTo(heads[i]);
            assertThat(f.chain.size()).isOne();
            assertThat(f.chain.offset(0)).isEqualTo(f.offsetOf(i));
            assertThat(f.chain.length(0)).isEqualTo(BUFFER_SIZE);
            assertThat(f.chain.totalLength()).isEqualTo(BUFFER_SIZE);
            assertThat(f.chain.isWritable(0)).isEqualTo(i >= 3);
            assertThat(f.device.held()).isEqualTo(i + 1);
        }
        assertThat(f.device.take(f.chain)).isFalse();
        assertThat(f.device.hasAvailable()).isFalse();
    }

    @Test
    void manyUsedBuffersReachTheDriverWithOneUsedIdxStoreInTheOrderTheyWerePut() {
        int[] heads = f.offer(5);
        for (int i = 0; i < 5; i++) {
            f.device.take(f.chain);
        }
        int[] order = {3, 0, 4, 1, 2};
        for (int i : order) {
            f.device.putUsed(heads[i], i + 1);
            assertThat(f.usedIdx()).isZero();
            assertThat(f.driver.hasUsed()).isFalse();
        }
        assertThat(f.device.held()).isZero();

        assertThat(f.device.publishUsed()).isEqualTo(5);
        assertThat(f.usedIdx()).isEqualTo(5);
        assertThat(f.device.publishUsed()).isZero();

        List<Integer> reaped = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        assertThat(f.driver.reap((token, head, len) -> {
            reaped.add(token);
            lengths.add(len);
        }, Integer.MAX_VALUE)).isEqualTo(5);
        assertThat(reaped).containsExactly(3, 0, 4, 1, 2);
        assertThat(lengths).containsExactly(4, 1, 5, 2, 3);
    }

    @ParameterizedTest(name = "head {0}")
    @ValueSource(ints = {-1, NUM, 0x10000, Integer.MIN_VALUE})
    void putUsedRefusesAHeadOutsideTheTable(int head) {
        f.offer(1);
        f.device.take(f.chain);

        assertThatThrownBy(() -> f.device.putUsed(head, 0)).isInstanceOf(IllegalArgumentException.class);

        assertThat(f.device.isBroken()).isFalse();
        assertThat(f.device.held()).isOne();
        assertThat(f.device.publishUsed()).isZero();
    }

    @Test
    void putUsedRefusesAHeadTheDeviceNeverTookOrAlreadyReturned() {
        int[] heads = f.offer(2);
        f.device.take(f.chain);

        assertThatThrownBy(() -> f.device.putUsed(heads[1], 0)).as("offered, not taken")
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.device.putUsed(5, 0)).as("never offered")
                .isInstanceOf(IllegalArgumentException.class);
        f.device.putUsed(heads[0], 0);
        assertThatThrownBy(() -> f.device.putUsed(heads[0], 0)).as("returned already")
                .isInstanceOf(IllegalArgumentException.class);

        assertThat(f.device.isBroken()).isFalse();
        assertThat(f.device.publishUsed()).isOne();
    }

    @Test
    void putUsedRefusesANonHeadDescriptorOfAChain() {
        f.driver.addChain(new long[] {f.da(0), f.da(1)}, new int[] {16, 16}, 2, 1, 0);
        f.driver.publish();
        f.device.take(f.chain);

        assertThatThrownBy(() -> f.device.putUsed(f.chain.descriptor(1), 0))
                .isInstanceOf(IllegalArgumentException.class);
        f.device.putUsed(f.chain.head(), 32);
        assertThat(f.device.held()).isZero();
    }

    @ParameterizedTest(name = "len {0}")
    @ValueSource(longs = {BUFFER_SIZE + 1, -1, Long.MIN_VALUE, 0x1_0000_0000L})
    void putUsedRefusesALengthBeyondTheBuffer(long len) {
        int head = f.offer(1)[0];
        f.device.take(f.chain);

        assertThatThrownBy(() -> f.device.putUsed(head, len)).isInstanceOf(IllegalArgumentException.class);

        assertThat(f.device.isBroken()).isFalse();
        assertThat(f.device.held()).isOne();
        f.device.putUsed(head, BUFFER_SIZE);
        assertThat(f.device.publishUsed()).isOne();
    }

    @Test
    void putUsedRefusesALengthThatDoesNotFitUsedLenEvenWhenTheChainIsLonger() {
        // A region of 8 GiB whose bytes are never touched: the device only checks offsets against it.
        SharedRegion huge = SharedRegion.of(MemorySegment.NULL.reinterpret(1L << 33), 0, AddressEnvironment.identity());
        VirtqueueDevice device = new VirtqueueDevice(VringFixture.NAME, f.vring, huge);
        f.desc(0, 0, -1, F_NEXT, 1);
        f.desc(1, 0x1_0000_0000L, -1, F_WRITE, 0);
        f.fakeOffer(0, 0);
        assertThat(device.take(f.chain)).isTrue();
        assertThat(f.chain.totalLength()).isEqualTo(2 * 0xFFFF_FFFFL);

        assertThatThrownBy(() -> device.putUsed(0, 0x1_0000_0000L)).isInstanceOf(IllegalArgumentException.class);

        device.putUsed(0, 0xFFFF_FFFFL);
        device.publishUsed();
        assertThat(VringUsedLayout.len(f.shm, f.vring.used(), 0)).isEqualTo(-1);
    }

    @Test
    void takeRefusesAChainViewShorterThanNum() {
        f.offer(1);

        assertThatThrownBy(() -> f.device.take(new DescriptorChain(NUM / 2)))
                .isInstanceOf(IllegalArgumentException.class);

        assertThat(f.device.isBroken()).isFalse();
        assertThat(f.device.take(f.chain)).isTrue();
    }

    @Test
    void theDeviceMayHoldEveryDescriptorAtOnce() {
        f.driver.addChain(new long[] {f.da(0), f.da(1), f.da(2)}, new int[] {1, 2, 3}, 3, 0, 0);
        f.driver.publish();
        f.offer(NUM - 3);
        List<Integer> heads = new ArrayList<>();
        while (f.device.take(f.chain)) {
            heads.add(f.chain.head());
        }
        assertThat(heads).hasSize(NUM - 2);
        assertThat(f.device.held()).isEqualTo(NUM - 2);
        for (int head : heads) {
            f.device.putUsed(head, 0);
        }
        assertThat(f.device.held()).isZero();
    }

    @Test
    void kickPrepareSaysNotifyOncePerPublishedBatch() {
        f.offer(3);
        f.echo(3);
        assertThat(f.device.kickPrepare()).isTrue();
        assertThat(f.device.kickPrepare()).isFalse();

        f.add(3, false);
        f.driver.publish();
        f.device.take(f.chain);
        f.device.putUsed(f.chain.head(), 0);
        assertThat(f.device.kickPrepare()).as("put but not published").isFalse();
        f.device.publishUsed();
        assertThat(f.device.kickPrepare()).isTrue();
    }

    @Test
    void kickPrepareStillSaysNotifyWhenExactly65536BuffersWerePublishedSinceItWasLastAsked() {
        for (int i = 0; i < 65536 / NUM; i++) {
            f.offer(NUM);
            f.echo(NUM);
            f.driver.reap((token, head, len) -> { }, Integer.MAX_VALUE);
        }
        assertThat(f.usedIdx()).isZero();

        assertThat(f.device.kickPrepare()).isTrue();
        assertThat(f.device.kickPrepare()).isFalse();
    }

    @Test
    void kickPrepareSaysNoNotifyWhenTheDriverSetNoInterrupt() {
        f.driver.disableInterrupts();
        f.offer(2);
        f.echo(2);
        assertThat(f.device.kickPrepare()).isFalse();

        f.driver.enableInterrupts();
        f.add(2, false);
        f.driver.publish();
        f.echo(1);
        assertThat(f.device.kickPrepare()).isTrue();
    }

    @Test
    void enableNotificationsReportsBuffersTheDriverOfferedWhileTheyWereOff() {
        f.device.disableNotifications();
        assertThat(f.usedFlags()).isEqualTo(VringUsedLayout.F_NO_NOTIFY);
        f.offer(1);
        assertThat(f.driver.kickPrepare()).isFalse();

        assertThat(f.device.enableNotifications()).isTrue();
        assertThat(f.usedFlags()).isZero();
        f.device.take(f.chain);
        assertThat(f.device.enableNotifications()).isFalse();
    }

    @Test
    void withAnAddressEnvironmentTheDeviceTranslatesDeviceAddressesToOffsets() {
        long basePa = 0x8000_0000L;
        long da = 0x1000_0000L;
        VringFixture g = new VringFixture(NUM, basePa,
                AddressEnvironment.of(new AddressWindow(basePa, da, new VringFixture(NUM).shm.byteSize())));
        g.add(2, true);
        g.driver.publish();

        assertThat(g.device.take(g.chain)).isTrue();

        assertThat(g.chain.da(0)).isEqualTo(da + g.offsetOf(2));
        assertThat(g.chain.offset(0)).isEqualTo(g.offsetOf(2));
    }

    @Test
    void anEmptyBufferAtTheVeryEndOfTheRegionIsAccepted() {
        f.desc(0, f.shm.byteSize(), 0, 0, 0);
        f.fakeOffer(0, 0);

        assertThat(f.device.take(f.chain)).isTrue();
        assertThat(f.chain.offset(0)).isEqualTo(f.shm.byteSize());
        assertThat(f.chain.length(0)).isZero();
    }

    // ---- the device's shadows: what it owns in shared memory, it never reads back ----

    @Test
    void theDeviceKeepsPublishingTheRightUsedIdxWhenSomeoneElseOverwritesIt() {
        f.offer(3);
        f.echo(2);
        f.usedIdx(0x4321);

        f.echo(1);

        assertThat(f.usedIdx()).isEqualTo(3);
    }

    @Test
    void theDeviceReleasesTheChainItTookEvenIfTheDriverRewroteItsDescriptors() {
        int head = f.driver.addChain(new long[] {f.da(0), f.da(1), f.da(2)}, new int[] {16, 16, 16}, 3, 1, 7);
        f.driver.publish();
        f.device.take(f.chain);
        for (int i = 0; i < 3; i++) {
            f.desc(f.chain.descriptor(i), -1L, 1, 0xFFFF, 5);
        }

        f.device.putUsed(head, 48);
        f.device.publishUsed();

        assertThat(f.device.held()).isZero();
        assertThat(f.driver.reap((token, h, len) -> { }, Integer.MAX_VALUE)).isOne();
        f.offer(NUM);
        for (int i = 0; i < NUM; i++) {
            assertThat(f.device.take(f.chain)).isTrue();
        }
        assertThat(f.device.isBroken()).isFalse();
    }

    @Test
    void theDeviceChecksPutUsedAgainstTheLengthItTookNotTheDescriptorNow() {
        int head = f.offer(1)[0];
        f.device.take(f.chain);
        f.desc(head, f.da(0), -1, 0, 0);

        assertThatThrownBy(() -> f.device.putUsed(head, BUFFER_SIZE + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
