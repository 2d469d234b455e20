package io.rptun.examples.cli;

import io.rptun.core.rpmsg.RpmsgHeaderLayout;
import io.rptun.sim.SimOptions;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * {@code --vring-num} and {@code --buffer-size}: the rings of a link between two rptun sides, for the commands
 * that lay one out ({@code host FILE}, {@code demo}, {@code ping} against its own remote). The host writes them
 * into the resource table; the remote reads them from there, so only the host is told. When the region size is
 * not given, the region grows to what the rings need; when it is given and too small, that is an error, before
 * any file is created.
 */
final class RingOptions {
    /** Entries per vring when {@code --vring-num} is not given: {@link SimOptions#defaults}'. */
    static final int DEFAULT_NUM = SimOptions.DEFAULT_VRING_NUM;
    /** Bytes per buffer when {@code --buffer-size} is not given: {@link SimOptions#defaults}'. */
    static final int DEFAULT_BUFFER_SIZE = SimOptions.DEFAULT_BUFFER_SIZE;
    /** The largest ring virtio allows (its indices are 16-bit, and num must divide 2^16). */
    static final int MAX_NUM = 32768;
    /** The smallest buffer: the 16-byte header and a 40-byte name-service message, to a cache line. */
    static final int MIN_BUFFER_SIZE = 64;
    /** The largest buffer: rpmsg's 16-bit {@code hdr.len} bounds the payload. */
    static final int MAX_BUFFER_SIZE = 0xFFFF + RpmsgHeaderLayout.SIZE;

    @Option(names = "--vring-num", paramLabel = "N",
            description = "entries per vring, a power of two from 2 to 32768 (default " + DEFAULT_NUM + "; larger rings"
                    + " carry more messages between two busy cores: see docs/benchmarks.md)")
    @Nullable Integer num;

    @Option(names = "--buffer-size", paramLabel = "BYTES",
            description = "bytes per rpmsg buffer, 16-byte header included, from 64 to 65551 (default "
                    + DEFAULT_BUFFER_SIZE + ")")
    @Nullable Integer bufferSize;

    /** True if either option was given. */
    boolean given() {
        return num != null || bufferSize != null;
    }

    /**
     * For a link whose peer lays out its own rings (OpenAMP's demo, NuttX's simulator): refuses the options, and
     * {@code --region-size} when the command has it and it was given.
     *
     * @throws IllegalArgumentException if any of them was given
     */
    void refuseAgainst(String peer, boolean regionSizeGiven) {
        if (given() || regionSizeGiven) {
            throw new IllegalArgumentException((regionSizeGiven ? "--vring-num, --buffer-size and --region-size are"
                    : "--vring-num and --buffer-size are") + " for a link between two rptun sides: " + peer
                    + " lays out its own rings");
        }
    }

    /** The entries per vring, checked. */
    int num() {
        int n = num == null ? DEFAULT_NUM : num;
        if (n < 2 || n > MAX_NUM || Integer.bitCount(n) != 1) {
            throw new IllegalArgumentException("--vring-num " + n + " is not a power of two from 2 to " + MAX_NUM);
        }
        return n;
    }

    /** The bytes per buffer, checked. */
    int bufferSize() {
        int b = bufferSize == null ? DEFAULT_BUFFER_SIZE : bufferSize;
        if (b < MIN_BUFFER_SIZE || b > MAX_BUFFER_SIZE) {
            throw new IllegalArgumentException("--buffer-size " + b + " is not from " + MIN_BUFFER_SIZE + " to "
                    + MAX_BUFFER_SIZE + " (the 16-byte header and a 40-byte name-service message must fit; rpmsg's"
                    + " length field is 16 bits)");
        }
        return b;
    }

    /** Checks both values ({@link #num()}, {@link #bufferSize()}), for a command that prints before it lays out. */
    void check() {
        num();
        bufferSize();
    }

    /** The smallest region these rings fit ({@link SimOptions#regionFor}). */
    long regionNeeded() {
        return SimOptions.regionFor(num(), bufferSize());
    }

    /**
     * {@code options} with these rings, and a region of {@code regionSize} bytes if given (checked to be large
     * enough), else of the options' size or what the rings need, whichever is larger.
     *
     * @throws IllegalArgumentException if a value is out of range, or the given region is too small
     */
    SimOptions apply(SimOptions options, @Nullable Long regionSize) {
        long needed = regionNeeded();
        long size;
        if (regionSize != null) {
            if (regionSize < needed) {
                throw new IllegalArgumentException("--region-size " + regionSize + " is too small for two vrings of "
                        + num() + " entries and their " + bufferSize() + "-byte buffers: they need at least " + needed
                        + " bytes (leave --region-size out to get that)");
            }
            size = regionSize;
        } else {
            size = Math.max(options.regionSize(), needed);
        }
        return options.withTable(SimOptions.table(num(), bufferSize())).withRegionSize(size);
    }
}
