package io.rptun.core.rsc;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.rsc.RptunRscLayout.Generation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The table lives in shared memory, and a buggy or hostile peer may rewrite it while we parse. The parser
 * reads every size-deciding field once, so whatever the peer writes meanwhile, a parse either returns a
 * table or throws {@link ResourceTableException}: never another exception, never a read past the segment.
 */
class ResourceTableConcurrentPeerTest {
    private static final int PARSES = 200_000;

    @Test
    void parsingWhileAPeerScribblesOnTheTableOnlyEverThrowsResourceTableException() throws Exception {
        byte[] rsc = RptunRsc.defaults(Generation.CURRENT).withVrings(16, 16).toBytes();
        List<Throwable> unexpected = new ArrayList<>();
        int parsed = 0;
        int rejected = 0;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment shm = arena.allocate(rsc.length, 8);
            MemorySegment pristine = MemorySegment.ofArray(rsc);
            AtomicBoolean stop = new AtomicBoolean();
            Thread peer = Thread.ofPlatform().name("hostile-peer").start(() -> scribble(shm, pristine, stop));
            try {
                for (int i = 0; i < PARSES; i++) {
                    ParseMode mode = (i & 1) == 0 ? ParseMode.NUTTX : ParseMode.OPENAMP;
                    try {
                        ResourceTableParser.parse(shm, mode);
                        parsed++;
                    } catch (ResourceTableException expected) {
                        rejected++;
                    } catch (RuntimeException | Error e) {
                        unexpected.add(e);
                    }
                }
            } finally {
                stop.set(true);
                peer.join();
            }
        }
        assertThat(unexpected).isEmpty();
        assertThat(parsed + rejected).isEqualTo(PARSES);
    }

    /** Restores the table now and then, and otherwise writes interesting values at random places. */
    private static void scribble(MemorySegment shm, MemorySegment pristine, AtomicBoolean stop) {
        SplittableRandom random = new SplittableRandom(7);
        int[] interesting = {0, 1, 2, 3, 4, 0x7F, 0x80, 0xFF, 0x200, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
            (int) shm.byteSize(), (int) shm.byteSize() - 1};
        long step = 0;
        while (!stop.get()) {
            if (step++ % 64 == 0) {
                MemorySegment.copy(pristine, 0, shm, 0, pristine.byteSize());
            }
            long at = random.nextLong(shm.byteSize() - 4);
            if (random.nextBoolean()) {
                shm.set(ValueLayout.JAVA_INT_UNALIGNED, at, interesting[random.nextInt(interesting.length)]);
            } else {
                shm.set(ValueLayout.JAVA_BYTE, at, (byte) random.nextInt(256));
            }
        }
    }
}
