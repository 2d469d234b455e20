package io.rptun.core.virtio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.memory.WireLayouts;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/**
 * One vring at byte 0 of a heap segment, followed by {@code 2·num} buffers of {@link #BUFFER_SIZE}
 * bytes, with a {@link VirtqueueDriver} and a {@link VirtqueueDevice} over it; plus raw writers, through
 * the {@code *Layout} accessors, for tests that play a corrupt peer by writing the shared bytes directly.
 */
final class VringFixture {
    static final String NAME = "rpmsg0.tx";
    static final long ALIGN = 0x1000;
    static final int BUFFER_SIZE = 256;

    final int num;
    final MemorySegment shm;
    final SharedRegion region;
    final Vring vring;
    /** Offset of buffer 0 in {@link #shm}. */
    final long buffers;
    final VirtqueueDriver<Integer> driver;
    final VirtqueueDevice device;
    final DescriptorChain chain;

    VringFixture(int num) {
        this(num, 0, AddressEnvironment.identity());
    }

    VringFixture(int num, long basePa, AddressEnvironment env) {
        this.num = num;
        this.buffers = WireLayouts.alignUp(VringLayout.byteSize(num, ALIGN), ALIGN);
        long size = buffers + 2L * num * BUFFER_SIZE;
        this.shm = MemorySegment.ofArray(new long[Math.toIntExact(size / Long.BYTES)]);
        this.region = SharedRegion.of(shm, basePa, env);
        this.vring = Vring.of(shm, num, ALIGN);
        vring.clear();
        this.driver = new VirtqueueDriver<>(NAME, vring);
        this.device = new VirtqueueDevice(NAME, vring, region);
        this.chain = new DescriptorChain(num);
    }

    /** Offset in {@link #shm} of buffer {@code i} (0 to {@code 2·num - 1}). */
    long offsetOf(int i) {
        return buffers + (long) i * BUFFER_SIZE;
    }

    /** Device address of buffer {@code i}. */
    long da(int i) {
        return region.daOfOffset(offsetOf(i));
    }

    /** The driver adds buffer {@code i} whole, token {@code i}; returns the head. */
    int add(int i, boolean writable) {
        int head = driver.add(da(i), BUFFER_SIZE, writable, i);
        assertThat(head).isNotEqualTo(VirtqueueDriver.NO_DESCRIPTOR);
        return head;
    }

    /** The driver adds and publishes buffers {@code 0..count-1} (read-only); returns their heads. */
    int[] offer(int count) {
        int[] heads = new int[count];
        for (int i = 0; i < count; i++) {
            heads[i] = add(i, false);
        }
        assertThat(driver.publish()).isEqualTo(count);
        return heads;
    }

    /** The device takes {@code count} buffers and returns each whole, then publishes them once. */
    List<Integer> echo(int count) {
        List<Integer> heads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            assertThat(device.take(chain)).isTrue();
            heads.add(chain.head());
        }
        for (int head : heads) {
            device.putUsed(head, 0);
        }
        device.publishUsed();
        return heads;
    }

    // ---- the peer's bytes, written and read directly ----

    void desc(int d, long addr, int len, int flags, int next) {
        VringDescLayout.write(shm, vring.desc(d), addr, len, flags, next);
    }

    void availSlot(int slot, int head) {
        VringAvailLayout.ring(shm, vring.avail(), slot, head);
    }

    void availIdx(int idx) {
        VringAvailLayout.idxRelease(shm, vring.avail(), idx);
    }

    int availIdx() {
        return VringAvailLayout.idxAcquire(shm, vring.avail());
    }

    int availFlags() {
        return VringAvailLayout.flagsAcquire(shm, vring.avail());
    }

    void usedElement(int slot, int id, int len) {
        VringUsedLayout.element(shm, vring.used(), slot, id, len);
    }

    void usedIdx(int idx) {
        VringUsedLayout.idxRelease(shm, vring.used(), idx);
    }

    int usedIdx() {
        return VringUsedLayout.idxAcquire(shm, vring.used());
    }

    int usedFlags() {
        return VringUsedLayout.flagsAcquire(shm, vring.used());
    }

    /** A fake driver offers descriptor {@code head} (already written) at avail idx {@code idx} and publishes it. */
    void fakeOffer(int idx, int head) {
        availSlot(idx & (num - 1), head);
        availIdx((idx + 1) & 0xFFFF);
    }

    /** A fake device returns {@code (id, len)} at used idx {@code idx} and publishes it. */
    void fakeReturn(int idx, int id, int len) {
        usedElement(idx & (num - 1), id, len);
        usedIdx((idx + 1) & 0xFFFF);
    }

    // ---- assertions ----

    /** Runs {@code call}, which must throw a {@link VringException}, and returns it. */
    static VringException violation(ThrowingCallable call) {
        Throwable thrown = catchThrowable(call);
        assertThat(thrown).isInstanceOf(VringException.class);
        return (VringException) thrown;
    }

    static void assertViolation(VringException e, VringException.Reason reason, int index, long value) {
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e.ring()).isEqualTo(NAME);
        assertThat(e.index()).as("index").isEqualTo(index);
        assertThat(e.value()).as("value").isEqualTo(value);
        assertThat(e.getMessage()).startsWith(reason + " on " + NAME + " at " + index + ": ");
    }

    /** The device is broken by {@code e}, and every later call throws exactly {@code e}. */
    void assertStaysBroken(VirtqueueDevice d, VringException e) {
        assertThat(d.isBroken()).isTrue();
        assertThat(d.brokenBy()).isSameAs(e);
        assertThat(catchThrowable(() -> d.take(new DescriptorChain(num)))).isSameAs(e);
        assertThat(catchThrowable(d::available)).isSameAs(e);
        assertThat(catchThrowable(() -> d.putUsed(0, 0))).isSameAs(e);
        assertThat(catchThrowable(d::publishUsed)).isSameAs(e);
        assertThat(catchThrowable(d::enableNotifications)).isSameAs(e);
        assertThat(d.brokenBy()).isSameAs(e);
    }

    /** The driver is broken by {@code e}, and every later call throws exactly {@code e}. */
    void assertStaysBroken(VirtqueueDriver<Integer> d, VringException e) {
        assertThat(d.isBroken()).isTrue();
        assertThat(d.brokenBy()).isSameAs(e);
        assertThat(catchThrowable(() -> d.reap((token, head, len) -> { }, Integer.MAX_VALUE))).isSameAs(e);
        assertThat(catchThrowable(d::publish)).isSameAs(e);
        assertThat(catchThrowable(() -> d.add(da(0), 1, false, -1))).isSameAs(e);
        assertThat(catchThrowable(() -> d.addChain(new long[] {da(0)}, new int[] {1}, 1, 1, -1))).isSameAs(e);
        assertThat(d.hasUsed()).isFalse();
        assertThat(d.brokenBy()).isSameAs(e);
    }
}
