package io.rptun.reliability;

import io.rptun.core.rpmsg.RpmsgDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Samples what the host uses while a slow consumer runs: Java heap after a full GC, the carveout heap's
 * bytes in use (shared memory), TX buffers carved so far, RX buffers held by the application, and messages
 * the consumer holds. {@link #firstThirdMax} and {@link #lastThirdMax} compare the start of a run with its
 * end: a leak or an unbounded queue makes the end larger.
 */
final class MemorySampler {
    /** The carveout heap's stats as {@link RpmsgDevice#dump()} prints them (the heap is not public API). */
    private static final Pattern BYTES_USED = Pattern.compile("heap: HeapStats\\[.*?bytesUsed=(\\d+)");

    /** One sample. */
    record Sample(long heapAfterGc, long carveoutBytesUsed, int txBuffersAllocated, int heldRxBuffers,
            int consumerHeld, long consumed) {
    }

    private final RpmsgDevice device;
    private final IntSupplier consumerHeld;
    private final java.util.function.LongSupplier consumed;
    private final List<Sample> samples = new ArrayList<>();

    MemorySampler(RpmsgDevice device, IntSupplier consumerHeld, java.util.function.LongSupplier consumed) {
        this.device = device;
        this.consumerHeld = consumerHeld;
        this.consumed = consumed;
    }

    /** Takes a sample now. */
    Sample sample() {
        long heap = MemoryRemoteServices.heapAfterGc();
        Sample s = new Sample(heap, carveoutBytesUsed(device), device.stats().txBuffersAllocated(),
                device.heldRxBuffers(), consumerHeld.getAsInt(), consumed.getAsLong());
        samples.add(s);
        return s;
    }

    List<Sample> samples() {
        return samples;
    }

    /** The carveout heap's bytes in use, read from the device's dump. */
    static long carveoutBytesUsed(RpmsgDevice device) {
        Matcher m = BYTES_USED.matcher(device.dump());
        if (!m.find()) {
            throw new IllegalStateException("no heap stats in the dump of " + device);
        }
        return Long.parseLong(m.group(1));
    }

    long firstThirdMax(ToLongFunction<Sample> what) {
        int third = Math.max(1, samples.size() / 3);
        return samples.subList(0, third).stream().mapToLong(what).max().orElseThrow();
    }

    long lastThirdMax(ToLongFunction<Sample> what) {
        int third = Math.max(1, samples.size() / 3);
        return samples.subList(samples.size() - third, samples.size()).stream().mapToLong(what).max().orElseThrow();
    }

    long max(ToLongFunction<Sample> what) {
        return samples.stream().mapToLong(what).max().orElseThrow();
    }
}
