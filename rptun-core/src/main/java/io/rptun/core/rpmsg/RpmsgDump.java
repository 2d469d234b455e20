package io.rptun.core.rpmsg;

import io.rptun.core.heap.CarveoutHeap;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.virtio.Virtqueue;
import io.rptun.core.virtio.VirtqueueDevice;
import io.rptun.core.virtio.VirtqueueDriver;
import io.rptun.core.virtio.VirtqueuePort;
import io.rptun.core.virtio.Vring;
import io.rptun.core.virtio.VringAvailLayout;
import io.rptun.core.virtio.VringLayout;
import io.rptun.core.virtio.VringUsedLayout;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Builds {@link RpmsgDevice#dump()}: a racy snapshot, for people. */
final class RpmsgDump {
    private RpmsgDump() {
    }

    static String of(RpmsgDevice device, RpmsgDevice.Role role, LiveResourceTable table, int vdev,
            @Nullable VirtqueuePort tx, @Nullable VirtqueuePort rx, @Nullable CarveoutHeap heap) {
        StringBuilder sb = new StringBuilder();
        sb.append("rpmsg device '").append(device.options().name()).append("' ").append(role).append(' ')
                .append(device.state()).append('\n');
        RpmsgException failure = device.failure();
        if (failure != null) {
            sb.append("  stopped: ").append(failure.reason()).append(": ").append(failure.getMessage()).append('\n');
        }
        sb.append(String.format("  vdev %d: status 0x%x, dfeatures 0x%x, gfeatures 0x%x%s%n", vdev, table.status(vdev),
                table.dfeatures(vdev), table.gfeatures(vdev), features(device.features())));
        if (!device.localCpuName().isEmpty() || !device.remoteCpuName().isEmpty()) {
            sb.append("  cpus: local '").append(device.localCpuName()).append("', remote '")
                    .append(device.remoteCpuName()).append("'\n");
        }
        if (tx != null && rx != null) {
            sb.append("  buffers: tx ").append(device.txBufferSize()).append(" B, rx ").append(device.rxBufferSize())
                    .append(" B, max payload ").append(device.maxPayload()).append(" B\n");
            Virtqueue first = role == RpmsgDevice.Role.HOST ? rx.queue() : tx.queue();
            Virtqueue second = role == RpmsgDevice.Role.HOST ? tx.queue() : rx.queue();
            vring(sb, 0, first, role == RpmsgDevice.Role.HOST ? "rx" : "tx");
            vring(sb, 1, second, role == RpmsgDevice.Role.HOST ? "tx" : "rx");
        } else {
            sb.append("  rings: not attached yet\n");
        }
        var endpoints = device.endpoints();
        sb.append("  endpoints: ").append(endpoints.size()).append('\n');
        if (!endpoints.isEmpty()) {
            sb.append(String.format("    %-32s %-10s %-10s%n", "name", "src", "dst"));
            for (RpmsgEndpoint ep : endpoints) {
                sb.append(String.format("    %-32s %-10s %-10s%n", "'" + ep.name() + "'",
                        RpmsgAddresses.format(ep.address()), RpmsgAddresses.format(ep.destination())));
            }
        }
        Map<String, Integer> services = device.remoteServices();
        if (!services.isEmpty()) {
            sb.append("  remote services:");
            services.forEach((k, v) -> sb.append(" '").append(k).append("'@").append(RpmsgAddresses.format(v)));
            sb.append('\n');
        }
        if (heap != null) {
            sb.append("  heap: ").append(heap.stats()).append('\n');
        }
        RpmsgStats stats = device.stats();
        sb.append("  sent ").append(stats.sent()).append(", received ").append(stats.received()).append(", dropped ")
                .append(stats.droppedTotal());
        if (!stats.dropped().isEmpty()) {
            sb.append(' ').append(stats.dropped());
        }
        sb.append(", tx free ").append(stats.txBuffersFree()).append('\n');
        return sb.toString();
    }

    private static void vring(StringBuilder sb, int index, Virtqueue q, String use) {
        Vring ring = q.vring();
        MemorySegment m = ring.memory();
        long avail = VringLayout.availOffset(ring.num());
        long used = VringLayout.usedOffsetAt(m.address(), ring.num(), ring.align());
        String outstanding = switch (q) {
            case VirtqueueDriver<?> d -> d.inFlight() + " with the device";
            case VirtqueueDevice d -> d.held() + " held by the device";
        };
        sb.append(String.format("  vring%d (%s %s): num %d, avail.idx %d flags 0x%x, used.idx %d flags 0x%x, %s%s%n",
                index, q.name(), use, ring.num(), VringAvailLayout.idxAcquire(m, avail),
                VringAvailLayout.flagsAcquire(m, avail), VringUsedLayout.idxAcquire(m, used),
                VringUsedLayout.flagsAcquire(m, used), outstanding, q.isBroken() ? ", BROKEN" : ""));
    }

    private static String features(int f) {
        if (f == 0) {
            return "";
        }
        StringBuilder sb = new StringBuilder(" (");
        if ((f & RpmsgAddresses.F_NS) != 0) {
            sb.append("NS ");
        }
        if ((f & RpmsgAddresses.F_ACK) != 0) {
            sb.append("ACK ");
        }
        if ((f & RpmsgAddresses.F_BUFSZ) != 0) {
            sb.append("BUFSZ ");
        }
        if ((f & RpmsgAddresses.F_CPUNAME) != 0) {
            sb.append("CPUNAME ");
        }
        sb.setLength(sb.length() - 1);
        return sb.append(')').toString();
    }
}
