package io.rptun.core.virtio;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class SliceCacheTest {
    private final MemorySegment shared = MemorySegment.ofArray(new byte[1 << 20]);

    @Test
    void theSameBufferGetsTheSameSliceBack() {
        SliceCache cache = new SliceCache(shared, 8);
        MemorySegment first = cache.slice(0x1000, 512);
        assertThat(cache.slice(0x1000, 512)).isSameAs(first);
        assertThat(first.byteSize()).isEqualTo(512);
        assertThat(first.address() - shared.address()).isEqualTo(0x1000);
    }

    @Test
    void theSameOffsetWithAnotherLengthIsAnotherSlice() {
        SliceCache cache = new SliceCache(shared, 8);
        MemorySegment a = cache.slice(0x1000, 512);
        MemorySegment b = cache.slice(0x1000, 256);
        assertThat(b).isNotSameAs(a);
        assertThat(b.byteSize()).isEqualTo(256);
        assertThat(cache.slice(0x1000, 512)).isSameAs(a);
        assertThat(cache.slice(0x1000, 256)).isSameAs(b);
    }

    @Test
    void everySliceCoversExactlyItsBytes() {
        SliceCache cache = new SliceCache(shared, 256);
        for (int i = 0; i < 512; i++) {
            MemorySegment s = cache.slice(512L * i, 512);
            s.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0, i);
        }
        for (int i = 0; i < 512; i++) {
            assertThat(shared.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 512L * i)).isEqualTo(i);
            assertThat(cache.slice(512L * i, 512).get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0))
                    .isEqualTo(i);
        }
    }

    @Test
    void aDriverWithMoreBuffersThanTheCacheHoldsMakesItStartOverInsteadOfGrowing() {
        SliceCache cache = new SliceCache(shared, 4);
        for (int i = 0; i < 1000; i++) {
            cache.slice(64L * i, 64);
            assertThat(cache.size()).isLessThanOrEqualTo(32);
        }
    }
}
