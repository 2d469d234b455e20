package io.rptun.core.virtio;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileChannel.MapMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Test memory for vrings: the two kinds of segment the ports must work on. A mapped file is what two
 * processes share (placed in {@code /dev/shm} when it is there, so no disk is involved); a heap segment
 * over a {@code long[]} is 8-byte aligned and takes the fenced-plain path of the ordered accessors
 * wherever a word is not naturally aligned.
 */
final class SharedSegments {
    /** A kind of segment, named for test display names. */
    enum Kind {
        MAPPED_FILE,
        HEAP;

        /** A zeroed segment of {@code size} bytes (a multiple of 8); close it to unmap and delete. */
        Segment open(long size) {
            return this == MAPPED_FILE ? mapped(size) : heap(size);
        }
    }

    /** A segment and whatever must be released with it. */
    static final class Segment implements AutoCloseable {
        private final MemorySegment memory;
        private final Arena arena;
        private final Path file;

        private Segment(MemorySegment memory, Arena arena, Path file) {
            this.memory = memory;
            this.arena = arena;
            this.file = file;
        }

        MemorySegment memory() {
            return memory;
        }

        /** Unmaps the file and deletes it; nothing for a heap segment. Safe to call twice. */
        @Override
        public void close() {
            try {
                if (arena != null && arena.scope().isAlive()) {
                    arena.close();
                }
            } finally {
                if (file != null) {
                    try {
                        Files.deleteIfExists(file);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
        }
    }

    private SharedSegments() {
    }

    static Segment heap(long size) {
        if (size % Long.BYTES != 0) {
            throw new IllegalArgumentException("size=" + size);
        }
        return new Segment(MemorySegment.ofArray(new long[(int) (size / Long.BYTES)]), null, null);
    }

    static Segment mapped(long size) {
        Path dir = Path.of("/dev/shm");
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            dir = Path.of(System.getProperty("java.io.tmpdir"));
        }
        Path file = null;
        Arena arena = null;
        try {
            file = Files.createTempFile(dir, "rptun-vring-", ".shm");
            arena = Arena.ofShared();
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE)) {
                channel.write(ByteBuffer.allocate(1), size - 1);
                MemorySegment memory = channel.map(MapMode.READ_WRITE, 0, size, arena);
                memory.fill((byte) 0);
                return new Segment(memory, arena, file);
            }
        } catch (IOException | RuntimeException e) {
            if (arena != null) {
                arena.close();
            }
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (e instanceof IOException io) {
                throw new UncheckedIOException(io);
            }
            throw (RuntimeException) e;
        }
    }
}
