package io.rptun.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.memory.WireLayouts;
import io.rptun.sim.SimHeader.Side;
import io.rptun.sim.SimHeader.State;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class SimHeaderTest {
    private static final long REGION = 8192;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment memory = arena.allocate(SimHeader.HEADER_SIZE, 4096);
    private final SimHeader header = SimHeader.over(memory, "test-header");

    @AfterEach
    void closeArena() {
        arena.close();
    }

    private static SimException.Reason reasonOf(Runnable action) {
        try {
            action.run();
        } catch (SimException e) {
            return e.reason();
        }
        throw new AssertionError("no SimException");
    }

    @Test
    void theOffsetsAreTheDocumentedOnes() {
        assertThat(SimHeader.LAYOUT.byteSize()).isEqualTo(4096);
        assertThat(SimHeader.MAGIC_OFFSET).isZero();
        assertThat(SimHeader.VERSION_OFFSET).isEqualTo(8);
        assertThat(SimHeader.HEADER_SIZE_OFFSET).isEqualTo(12);
        assertThat(SimHeader.REGION_OFFSET_OFFSET).isEqualTo(16);
        assertThat(SimHeader.REGION_SIZE_OFFSET).isEqualTo(24);
        assertThat(SimHeader.HOST_EPOCH_OFFSET).isEqualTo(32);
        assertThat(SimHeader.CLAIMED_EPOCH_OFFSET).isEqualTo(40);
        assertThat(SimHeader.FLAGS_OFFSET).isEqualTo(48);
        assertThat(SimHeader.HOST_BLOCK_OFFSET).isEqualTo(128);
        assertThat(SimHeader.REMOTE_BLOCK_OFFSET).isEqualTo(256);
        assertThat(SimHeader.SIDE_BLOCK_SIZE).isEqualTo(128);
        assertThat(SimHeader.SEQ_OFFSET).isZero();
        assertThat(SimHeader.SLEEPING_OFFSET).isEqualTo(4);
        assertThat(SimHeader.PID_OFFSET).isEqualTo(8);
        assertThat(SimHeader.EPOCH_OFFSET).isEqualTo(16);
        assertThat(SimHeader.HEARTBEAT_OFFSET).isEqualTo(24);
        assertThat(SimHeader.STATE_OFFSET).isEqualTo(32);
    }

    @Test
    void initialiseWritesEveryFieldButTheMagicAndPublishReadyWritesRptunsimLast() {
        memory.fill((byte) 0x77);

        header.initialise(REGION);

        assertThat(memory.get(WireLayouts.LE_U64, 0)).isZero();
        assertThat(header.isReady()).isFalse();
        assertThat(memory.get(WireLayouts.LE_U32, 8)).isEqualTo(1);
        assertThat(memory.get(WireLayouts.LE_U32, 12)).isEqualTo(4096);
        assertThat(memory.get(WireLayouts.LE_U64, 16)).isEqualTo(4096);
        assertThat(memory.get(WireLayouts.LE_U64, 24)).isEqualTo(REGION);
        assertThat(memory.get(WireLayouts.LE_U64, 32)).isEqualTo(1);
        assertThat(memory.get(WireLayouts.LE_U64, 40)).isZero();
        assertThat(memory.get(WireLayouts.LE_U32, 48)).isZero();
        assertThat(memory.get(WireLayouts.LE_U32, 52)).isZero();
        assertThat(memory.get(WireLayouts.LE_U64, 56)).as("creator pid").isEqualTo(ProcessHandle.current().pid());
        assertThat(memory.asSlice(64).toArray(WireLayouts.LE_U8)).containsOnly(0);

        header.publishReady();

        assertThat(new String(memory.asSlice(0, 8).toArray(WireLayouts.LE_U8), StandardCharsets.US_ASCII))
                .isEqualTo("RPTUNSIM");
        assertThat(header.isReady()).isTrue();
        assertThatCode(() -> header.check(SimHeader.HEADER_SIZE + REGION)).doesNotThrowAnyException();
    }

    @Test
    void eachSidesFieldsLandInItsOwnBlock() {
        header.initialise(REGION);
        for (Side side : Side.values()) {
            long block = side == Side.HOST ? 128 : 256;
            long tag = side == Side.HOST ? 0x1000 : 0x2000;

            header.incrementSeq(side);
            header.incrementSeq(side);
            header.setSleeping(side, true);
            header.setPid(side, tag + 1);
            header.setEpoch(side, tag + 2);
            header.bumpHeartbeat(side);
            header.bumpHeartbeat(side);
            header.bumpHeartbeat(side);
            header.setState(side, State.CLOSED_CLEANLY);

            assertThat(memory.get(WireLayouts.LE_U32, block)).isEqualTo(2);
            assertThat(memory.get(WireLayouts.LE_U32, block + 4)).isEqualTo(1);
            assertThat(memory.get(WireLayouts.LE_U64, block + 8)).isEqualTo(tag + 1);
            assertThat(memory.get(WireLayouts.LE_U64, block + 16)).isEqualTo(tag + 2);
            assertThat(memory.get(WireLayouts.LE_U64, block + 24)).isEqualTo(3);
            assertThat(memory.get(WireLayouts.LE_U32, block + 32)).isEqualTo(2);
            assertThat(header.seq(side)).isEqualTo(2);
            assertThat(header.isSleeping(side)).isTrue();
            assertThat(header.pid(side)).isEqualTo(tag + 1);
            assertThat(header.epoch(side)).isEqualTo(tag + 2);
            assertThat(header.heartbeat(side)).isEqualTo(3);
            assertThat(header.state(side)).isEqualTo(State.CLOSED_CLEANLY);
            assertThat(header.seqWord(side).address()).isEqualTo(memory.address() + block);
            assertThat(header.seqWord(side).byteSize()).isEqualTo(4);
            assertThat(header.sleepingWord(side).address()).isEqualTo(memory.address() + block + 4);
        }
        assertThat(memory.asSlice(384).toArray(WireLayouts.LE_U8)).containsOnly(0);
    }

    @Test
    void aFreshHeaderHasBothSidesDetachedAndUnrung() {
        memory.fill((byte) 0x33);
        header.initialise(REGION);

        for (Side side : Side.values()) {
            assertThat(header.state(side)).isEqualTo(State.DETACHED);
            assertThat(header.seq(side)).isZero();
            assertThat(header.isSleeping(side)).isFalse();
            assertThat(header.heartbeat(side)).isZero();
        }
    }

    @Test
    void oneRemoteClaimsEachHostEpoch() {
        header.initialise(REGION);

        assertThat(header.hostEpoch()).isEqualTo(1);
        assertThat(header.tryClaimHostEpoch()).isEqualTo(1);
        assertThat(header.tryClaimHostEpoch()).isZero();
        assertThat(header.claimedEpoch()).isEqualTo(1);

        assertThat(header.bumpHostEpoch()).isEqualTo(2);
        assertThat(memory.get(WireLayouts.LE_U64, 32)).isEqualTo(2);
        assertThat(header.casClaimedEpoch(0, 2)).isFalse();
        assertThat(header.casClaimedEpoch(1, 2)).isTrue();
        assertThat(memory.get(WireLayouts.LE_U64, 40)).isEqualTo(2);
        assertThat(header.tryClaimHostEpoch()).isZero();
    }

    @Test
    @Timeout(60)
    void racingRemotesGetOneClaimPerEpoch() throws InterruptedException {
        try (Arena shared = Arena.ofShared()) {
            SimHeader h = SimHeader.over(shared.allocate(SimHeader.HEADER_SIZE, 4096));
            h.initialise(REGION);
            for (int epoch = 0; epoch < 50; epoch++) {
                h.bumpHostEpoch();
                AtomicInteger winners = new AtomicInteger();
                CountDownLatch start = new CountDownLatch(1);
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    threads.add(Thread.ofPlatform().start(() -> {
                        try {
                            if (start.await(30, TimeUnit.SECONDS) && h.tryClaimHostEpoch() != 0) {
                                winners.incrementAndGet();
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }));
                }
                start.countDown();
                for (Thread t : threads) {
                    t.join();
                }
                assertThat(winners).hasValue(1);
                assertThat(h.claimedEpoch()).isEqualTo(h.hostEpoch());
            }
        }
    }

    @Test
    void checkRejectsAnUnpublishedHeaderAsNotReady() {
        header.initialise(REGION);

        assertThat(reasonOf(() -> header.check(SimHeader.HEADER_SIZE + REGION)))
                .isEqualTo(SimException.Reason.NOT_READY);
    }

    @Test
    void checkRejectsAForeignMagic() {
        header.initialise(REGION);
        memory.set(WireLayouts.LE_U64, 0, 0x5A5A_5A5A_5A5A_5A5AL);

        assertThat(reasonOf(() -> header.check(SimHeader.HEADER_SIZE + REGION)))
                .isEqualTo(SimException.Reason.BAD_MAGIC);
    }

    @Test
    void checkRejectsAnotherVersion() {
        header.initialise(REGION);
        header.publishReady();
        memory.set(WireLayouts.LE_U32, 8, 2);

        assertThat(reasonOf(() -> header.check(SimHeader.HEADER_SIZE + REGION)))
                .isEqualTo(SimException.Reason.BAD_VERSION);
    }

    @Test
    void checkRejectsSizesThatDoNotAddUp() {
        header.initialise(REGION);
        header.publishReady();

        assertThat(reasonOf(() -> header.check(SimHeader.HEADER_SIZE + REGION - 1)))
                .isEqualTo(SimException.Reason.WRONG_SIZE);
        assertThat(reasonOf(() -> header.check(REGION)))
                .isEqualTo(SimException.Reason.WRONG_SIZE);

        memory.set(WireLayouts.LE_U32, 12, 8192);
        assertThat(reasonOf(() -> header.check(SimHeader.HEADER_SIZE + REGION)))
                .isEqualTo(SimException.Reason.WRONG_SIZE);

        memory.set(WireLayouts.LE_U32, 12, 4096);
        memory.set(WireLayouts.LE_U64, 16, 0);
        assertThat(reasonOf(() -> header.check(SimHeader.HEADER_SIZE + REGION)))
                .isEqualTo(SimException.Reason.WRONG_SIZE);

        memory.set(WireLayouts.LE_U64, 16, 4096);
        memory.set(WireLayouts.LE_U64, 24, -1L);
        assertThat(reasonOf(() -> header.check(SimHeader.HEADER_SIZE + REGION)))
                .isEqualTo(SimException.Reason.WRONG_SIZE);
    }

    @Test
    void aHeaderNeedsFourKilobytesOfAlignedMemory() {
        assertThatThrownBy(() -> SimHeader.over(memory.asSlice(0, 4095)))
                .isInstanceOf(IllegalArgumentException.class);
        MemorySegment bigger = arena.allocate(8192, 4096);
        assertThatThrownBy(() -> SimHeader.over(bigger.asSlice(4)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SimHeader.over(MemorySegment.ofArray(new byte[4096])))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> header.initialise(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void eachSideHasTheOtherAsPeer() {
        assertThat(Side.HOST.peer()).isEqualTo(Side.REMOTE);
        assertThat(Side.REMOTE.peer()).isEqualTo(Side.HOST);
    }

    @Test
    void anUnknownStateCodeReadsAsUnknownAndUnknownIsNeverWritten() {
        header.initialise(REGION);
        memory.set(WireLayouts.LE_U32, 256 + 32, 99);

        assertThat(header.state(Side.REMOTE)).isEqualTo(State.UNKNOWN);
        assertThat(header.stateCode(Side.REMOTE)).isEqualTo(99);
        assertThatThrownBy(() -> header.setState(Side.HOST, State.UNKNOWN))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
