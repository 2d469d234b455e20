package io.rptun.core.virtio;

import static io.rptun.core.virtio.VringFixture.BUFFER_SIZE;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The free-running u16 indices across their wrap: for any num, any batch sizes and any start index near
 * 65536 (reached by running that many buffers through first), a driver and a device exchanging buffers
 * deliver each exactly once, the device takes them in the order the driver added them, and the driver
 * reaps them in the order the device returned them.
 */
class VringIndexProperties {
    @Provide
    Arbitrary<Integer> nums() {
        return Arbitraries.of(1, 2, 4, 8, 16, 32, 64, 128, 256);
    }

    @Property(tries = 150)
    void buffersReturnedInOrderArriveExactlyOnceAndInOrderAcrossTheWrap(
            @ForAll("nums") int num,
            @ForAll @IntRange(min = -64, max = 600) int beforeWrap,
            @ForAll @Size(min = 1, max = 40) List<@IntRange(min = 1, max = 80) Integer> batches,
            @ForAll long seed) {
        Exchange x = new Exchange(num, 65536 - beforeWrap, seed, true);
        x.run(batches);

        assertThat(x.reaped).containsExactlyElementsOf(IntStream.range(0, x.nextSeq).boxed().toList());
    }

    @Property(tries = 150)
    void buffersReturnedInAnyOrderArriveExactlyOnceInTheOrderTheyWereReturned(
            @ForAll("nums") int num,
            @ForAll @IntRange(min = -64, max = 600) int beforeWrap,
            @ForAll @Size(min = 1, max = 40) List<@IntRange(min = 1, max = 80) Integer> batches,
            @ForAll long seed) {
        Exchange x = new Exchange(num, 65536 - beforeWrap, seed, false);
        x.run(batches);

        assertThat(x.reaped).containsExactlyElementsOf(x.returned);
        assertThat(x.reaped).containsExactlyInAnyOrderElementsOf(IntStream.range(0, x.nextSeq).boxed().toList());
    }

    /** One driver/device pair, the test's model of what is where, and the checks after each step. */
    private static final class Exchange {
        private final VringFixture f;
        private final int num;
        private final int start;
        private final Random random;
        private final boolean inOrder;
        private final Deque<Integer> freeSlots = new ArrayDeque<>();
        private final Map<Integer, Integer> slotOfSeq = new HashMap<>();
        private final List<Integer> held = new ArrayList<>();
        private final Map<Integer, Integer> seqOfHead = new HashMap<>();
        final List<Integer> returned = new ArrayList<>();
        final List<Integer> reaped = new ArrayList<>();
        int nextSeq;
        private int taken;
        private int availPublished;
        private int usedPublished;

        Exchange(int num, int start, long seed, boolean inOrder) {
            this.f = new VringFixture(num);
            this.num = num;
            this.start = start;
            this.random = new Random(seed);
            this.inOrder = inOrder;
            for (int slot = 0; slot < 2 * num; slot++) {
                freeSlots.add(slot);
            }
            runThrough(start);
            assertThat(f.availIdx()).isEqualTo(start & 0xFFFF);
            assertThat(f.usedIdx()).isEqualTo(start & 0xFFFF);
        }

        /** Pre-seeds every index to {@code count} by running that many buffers through, num at a time. */
        private void runThrough(int count) {
            int[] heads = new int[num];
            for (int left = count; left > 0; ) {
                int n = Math.min(left, num);
                for (int i = 0; i < n; i++) {
                    f.driver.add(f.da(0), 16, false, -1);
                }
                f.driver.publish();
                for (int i = 0; i < n; i++) {
                    f.device.take(f.chain);
                    heads[i] = f.chain.head();
                }
                for (int i = 0; i < n; i++) {
                    f.device.putUsed(heads[i], 0);
                }
                f.device.publishUsed();
                f.driver.reap((token, head, len) -> { }, Integer.MAX_VALUE);
                left -= n;
            }
        }

        void run(List<Integer> batches) {
            for (int batch : batches) {
                add(batch);
                take(random.nextInt(num + 1));
                giveBack(random.nextInt(held.size() + 1));
                reap(random.nextInt(num + 2));
                checkIndices();
            }
            while (reaped.size() < nextSeq) {
                publish();
                take(num);
                giveBack(held.size());
                publishUsed();
                reap(Integer.MAX_VALUE);
                checkIndices();
            }
            assertThat(f.driver.freeDescriptors()).isEqualTo(num);
            assertThat(f.driver.inFlight()).isZero();
            assertThat(f.device.held()).isZero();
            assertThat(f.availIdx()).isEqualTo((start + nextSeq) & 0xFFFF);
            assertThat(f.usedIdx()).isEqualTo((start + nextSeq) & 0xFFFF);
        }

        private void add(int count) {
            for (int i = 0; i < count && f.driver.freeDescriptors() > 0; i++) {
                int slot = freeSlots.pop();
                f.shm.set(ValueLayout.JAVA_INT, f.offsetOf(slot), nextSeq);
                assertThat(f.driver.add(f.da(slot), BUFFER_SIZE, false, nextSeq)).isBetween(0, num - 1);
                slotOfSeq.put(nextSeq, slot);
                nextSeq++;
                if (random.nextInt(4) == 0) {
                    publish();
                }
            }
            if (random.nextBoolean()) {
                publish();
            }
        }

        private void publish() {
            availPublished += f.driver.publish();
        }

        private void publishUsed() {
            usedPublished += f.device.publishUsed();
        }

        private void take(int count) {
            for (int i = 0; i < count && f.device.take(f.chain); i++) {
                int seq = f.region.segment().get(ValueLayout.JAVA_INT, f.chain.offset(0));
                assertThat(seq).as("the buffer the device took").isEqualTo(taken);
                taken++;
                held.add(f.chain.head());
                seqOfHead.put(f.chain.head(), seq);
            }
            assertThat(f.device.available()).isEqualTo(availPublished - taken);
            assertThat(f.device.held()).isEqualTo(held.size());
        }

        private void giveBack(int count) {
            for (int i = 0; i < count; i++) {
                int head = held.remove(inOrder ? 0 : random.nextInt(held.size()));
                int seq = seqOfHead.remove(head);
                f.device.putUsed(head, seq & 0xFF);
                returned.add(seq);
                if (random.nextInt(4) == 0) {
                    publishUsed();
                }
            }
            if (random.nextBoolean()) {
                publishUsed();
            }
        }

        private void reap(int max) {
            int before = reaped.size();
            int count = f.driver.reap((token, head, len) -> {
                assertThat(len).isEqualTo(token & 0xFF);
                reaped.add(token);
                freeSlots.push(slotOfSeq.remove(token));
            }, max);
            assertThat(reaped.size() - before).isEqualTo(count).isLessThanOrEqualTo(Math.max(max, 0));
            assertThat(reaped).isEqualTo(returned.subList(0, reaped.size()));
        }

        private void checkIndices() {
            assertThat(f.availIdx()).isEqualTo((start + availPublished) & 0xFFFF);
            assertThat(f.usedIdx()).isEqualTo((start + usedPublished) & 0xFFFF);
            assertThat(f.driver.inFlight()).isEqualTo(availPublished - reaped.size());
            assertThat(f.driver.unpublished()).isEqualTo(nextSeq - availPublished);
            assertThat(f.device.isBroken()).isFalse();
            assertThat(f.driver.isBroken()).isFalse();
        }
    }
}
