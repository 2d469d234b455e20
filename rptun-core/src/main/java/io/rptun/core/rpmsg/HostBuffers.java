package io.rptun.core.rpmsg;

import io.rptun.core.heap.CarveoutHeap;
import java.util.ArrayList;
import java.util.List;

/**
 * The host's buffers carved from the carveout heap: the RX buffers {@link RpmsgStartup} posts before
 * DRIVER_OK and the TX buffers {@link TxPool} grows lazily. Remembered so that {@link RpmsgDevice#close()}
 * (or a start-up that runs out of heap) gives every one back. Only a host has one; a remote's buffers are
 * the host's.
 *
 * <p>Threads: every method but {@link #heap()} runs under the device's lock (the starting thread, a sending
 * thread that grows the TX pool, the closing thread).
 */
final class HostBuffers {
    private final CarveoutHeap heap;
    private final List<Long> offsets = new ArrayList<>();

    HostBuffers(CarveoutHeap heap) {
        this.heap = heap;
    }

    /** The heap the buffers come from. */
    CarveoutHeap heap() {
        return heap;
    }

    /** Remembers the buffer at {@code offset} of the heap. */
    void add(long offset) {
        offsets.add(offset);
    }

    /** Gives every remembered buffer back to the heap. */
    void freeAll() {
        for (long offset : offsets) {
            heap.free(offset);
        }
        offsets.clear();
    }
}
