package io.rptun.examples.cli;

import io.rptun.core.rsc.CarveoutResource;
import io.rptun.core.rsc.DevmemResource;
import io.rptun.core.rsc.FwRscVdevLayout;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ParsedResourceTable;
import io.rptun.core.rsc.ResourceEntry;
import io.rptun.core.rsc.ResourceTable;
import io.rptun.core.rsc.RptunConfig;
import io.rptun.core.rsc.TraceResource;
import io.rptun.core.rsc.VdevResource;
import io.rptun.core.rsc.VendorResource;
import io.rptun.core.rsc.VringResource;
import io.rptun.examples.cli.DumpReport.Desc;
import io.rptun.examples.cli.DumpReport.Flow;
import io.rptun.examples.cli.DumpReport.HeapInfo;
import io.rptun.examples.cli.DumpReport.MapEntry;
import io.rptun.examples.cli.DumpReport.NsSeen;
import io.rptun.examples.cli.DumpReport.RingEntry;
import io.rptun.examples.cli.DumpReport.RingState;
import io.rptun.examples.cli.DumpReport.SideInfo;
import io.rptun.examples.cli.DumpReport.SimInfo;
import io.rptun.examples.cli.DumpReport.Traffic;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@code rptun dump}'s text: one section per part of the file, for a person. */
final class DumpText {
    private final StringBuilder sb = new StringBuilder();

    private DumpText() {
    }

    static String render(DumpReport report) {
        DumpText t = new DumpText();
        t.file(report);
        if (report.sim() != null) {
            t.sim(report.sim());
        }
        ParsedResourceTable table = report.table();
        if (table != null) {
            t.table(table, report.mode());
            t.map(report);
            t.rings(report.rings());
            t.endpoints(report.traffic());
            t.heaps(report.heaps());
        }
        t.anomalies(report.anomalies());
        return t.sb.toString();
    }

    private DumpText line(String format, Object... args) {
        sb.append(args.length == 0 ? format : String.format(format, args)).append('\n');
        return this;
    }

    private void heading(String title) {
        sb.append('\n').append("== ").append(title).append('\n');
    }

    private static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    private static String hex8(long value) {
        return String.format("0x%08x", value);
    }

    private void file(DumpReport r) {
        line("rptun dump of %s", r.path());
        if (r.sim() != null) {
            line("file: %s, %d bytes: a %d-byte sim header, then the rptun region (%s bytes at file offset %s)",
                    r.kind().label(), r.fileSize(), r.regionOffset(), hex(r.regionSize()), hex(r.regionOffset()));
        } else {
            line("file: %s, %d bytes (%s), the rptun region is the whole file", r.kind().label(), r.fileSize(),
                    hex(r.fileSize()));
        }
        line("read-only snapshot: on a live link the two sides keep writing while this is read");
        for (String note : r.notes()) {
            line("note: %s", note);
        }
    }

    private void sim(SimInfo s) {
        heading("sim header");
        String text = FileInspector.magicText(s.magic());
        line("magic %s (%s)  version %d  header %d bytes  region at %s, %s bytes  flags %s",
                text == null ? "?" : "\"" + text + "\"", hex(s.magic()), s.version(), s.headerSize(),
                hex(s.regionOffset()), hex(s.regionSize()), hex(s.flags() & 0xFFFF_FFFFL));
        line("made by pid %s (%s)", s.creatorPid() == 0 ? "-" : s.creatorPid(),
                s.creatorPid() == 0 ? "not recorded" : s.creatorAlive() ? "alive" : "gone");
        line("host epoch %d, claimed epoch %d (%s)", s.hostEpoch(), s.claimedEpoch(),
                s.claimedEpoch() == s.hostEpoch() ? "a remote attached to the current layout"
                        : "no remote claimed the current layout yet");
        line("%-7s %-9s %-6s %-6s %-10s %-15s %-13s %s", "side", "pid", "alive", "epoch", "heartbeat", "state",
                "doorbell seq", "sleeping");
        for (SideInfo side : s.sides()) {
            line("%-7s %-9s %-6s %-6d %-10d %-15s %-13d %s", side.name(), side.pid() == 0 ? "-" : side.pid(),
                    side.pid() == 0 ? "-" : side.alive() ? "yes" : "NO", side.epoch(), side.heartbeat(),
                    side.state() + (side.state().equals("UNKNOWN") ? "(" + side.stateCode() + ")" : ""),
                    Integer.toUnsignedLong(side.doorbellSeq()), side.sleeping() == 0 ? "no" : "yes");
        }
    }

    private void table(ParsedResourceTable parsed, ParseMode mode) {
        ResourceTable t = parsed.table();
        heading("resource table (parsed in " + mode + " mode): ver 1, " + t.entries().size() + " entries, "
                + parsed.extent() + " bytes");
        if (mode == ParseMode.NUTTX) {
            line("mailbox: cmd_master %s = %s %d, cmd_slave %s = %s %d", hex8(t.reserved0() & 0xFFFF_FFFFL),
                    DumpReport.commandName(t.masterCommand()), t.masterCommand().value(),
                    hex8(t.reserved1() & 0xFFFF_FFFFL), DumpReport.commandName(t.slaveCommand()),
                    t.slaveCommand().value());
        } else {
            line("reserved words: %s %s (OpenAMP: no mailbox)", hex8(t.reserved0() & 0xFFFF_FFFFL),
                    hex8(t.reserved1() & 0xFFFF_FFFFL));
        }
        for (int e = 0; e < t.entries().size(); e++) {
            String at = String.format("[%d] @%s", e, hex(parsed.entryOffsets().get(e)));
            String pad = " ".repeat(at.length() + 1);
            ResourceEntry entry = t.entries().get(e);
            switch (entry) {
                case VdevResource v -> vdev(at, pad, v, mode);
                case CarveoutResource c -> line("%s carveout \"%s\" da %s pa %s len %s flags %s", at,
                        DumpReport.printable(c.name()), hex(c.da()), hex(c.pa()), hex(c.len()), hex(c.flags() & 0xFFFF_FFFFL));
                case DevmemResource d -> line("%s devmem \"%s\" da %s pa %s len %s flags %s", at,
                        DumpReport.printable(d.name()), hex(d.da()), hex(d.pa()), hex(d.len()), hex(d.flags() & 0xFFFF_FFFFL));
                case TraceResource tr -> line("%s trace \"%s\" da %s len %s", at, DumpReport.printable(tr.name()),
                        hex(tr.da()), hex(tr.len()));
                case VendorResource vr -> line("%s vendor type %d, %d bytes", at, vr.type(), vr.data().length());
            }
        }
    }

    private void vdev(String at, String pad, VdevResource v, ParseMode mode) {
        line("%s vdev %s (id %d), notifyid %s, %d vrings", at, DumpReport.vdevIdName(v.id()),
                Integer.toUnsignedLong(v.id()), notifyId(v.notifyId()), v.vrings().size());
        line("%sdfeatures %s %s", pad, hex8(v.dfeatures() & 0xFFFF_FFFFL), words(DumpReport.featureBits(v.id(), v.dfeatures())));
        line("%sgfeatures %s %s", pad, hex8(v.gfeatures() & 0xFFFF_FFFFL), words(DumpReport.featureBits(v.id(), v.gfeatures())));
        line("%sstatus %s %s", pad, String.format("0x%02x", v.status()), words(DumpReport.statusBits(v.status())));
        if (mode == ParseMode.NUTTX) {
            line("%srole (reserved[0]) %d: the master is the virtio %s", pad, v.reserved0(),
                    v.reserved0() == FwRscVdevLayout.ROLE_DRIVER ? "driver" : "device");
        }
        for (int i = 0; i < v.vrings().size(); i++) {
            VringResource r = v.vrings().get(i);
            line("%svring%d da %s align %s num %d notifyid %s", pad, i, hex(r.da()), hex(r.align()), r.num(),
                    notifyId(r.notifyId()));
        }
        Optional<RptunConfig> config = Optional.empty();
        try {
            config = v.rptunConfig();
        } catch (RuntimeException notAConfig) {
            // a config space of 64 bytes or more that is not a fw_rsc_config: shown as its length below
        }
        if (config.isPresent()) {
            RptunConfig c = config.get();
            line("%sconfig %d bytes, NuttX fw_rsc_config: buffer sizes h2r %d, r2h %d; buffer addresses h2r %s, r2h %s;"
                    + " cpus host \"%s\", remote \"%s\"", pad, v.config().length(), c.h2rBufSize(), c.r2hBufSize(),
                    hex(c.h2rBufAddr()), hex(c.r2hBufAddr()), DumpReport.printable(c.hostCpuName()),
                    DumpReport.printable(c.remoteCpuName()));
        } else {
            line("%sconfig %d bytes%s", pad, v.config().length(), v.config().length() == 0 ? ""
                    : " (not a fw_rsc_config)");
        }
    }

    private static String words(List<String> words) {
        return words.isEmpty() ? "(none)" : String.join(" ", words);
    }

    private void map(DumpReport r) {
        heading("memory map (offsets into the region)");
        List<String> picture = new ArrayList<>();
        long cursor = 0;
        List<MapEntry> map = r.map();
        for (int k = 0; k < map.size(); k++) {
            MapEntry e = map.get(k);
            boolean expanded = e.kind().equals("carveout") && k + 1 < map.size()
                    && map.get(k + 1).depth() == e.depth() + 1;
            if (expanded || e.kind().equals("buffers")) {
                continue;
            }
            if (e.offset() > cursor) {
                picture.add(hex(cursor) + " free");
            }
            picture.add(hex(e.offset()) + " " + (e.kind().equals("vring") ? shortName(e.what()) : e.kind()));
            cursor = Math.max(cursor, e.end());
        }
        if (cursor < r.regionSize()) {
            picture.add(hex(cursor) + " free");
        }
        picture.add(hex(r.regionSize()) + " end");
        line(String.join(" | ", picture));
        line("%-10s  %-10s  %-10s  %s", "offset", "end", "size", "what");
        for (MapEntry e : map) {
            line("%s  %s  %s  %s%s", hex8(e.offset()), hex8(e.end()), hex8(e.size()), "  ".repeat(e.depth()), e.what());
        }
    }

    /** {@code vring0} of {@code vring0 (vdev1), ...}. */
    private static String shortName(String what) {
        int end = what.indexOf(',');
        return end < 0 ? what : what.substring(0, end);
    }

    /** A notify id: ANY for 0xFFFFFFFF, else hex. */
    private static String notifyId(int id) {
        return id == -1 ? "ANY" : hex(id & 0xFFFF_FFFFL);
    }

    private void rings(List<RingState> rings) {
        heading("vrings (in flight = avail.idx - used.idx mod 2^16: buffers the device holds)");
        for (RingState r : rings) {
            line("vdev%d vring%d%s: da %s, num %d, align %s, notifyid %s, %s bytes", r.vdev(), r.index(),
                    r.direction().isEmpty() ? "" : " (" + r.direction() + ")", hex(r.da()), r.num(), hex(r.align()),
                    notifyId(r.notifyId()), hex(r.size()));
            if (!r.read()) {
                line("  not read: %s", r.placement());
                continue;
            }
            line("  avail: flags %s%s, idx %d   used: flags %s%s, idx %d   in flight %d%s",
                    String.format("0x%04x", r.availFlags()), (r.availFlags() & 1) != 0 ? " NO_INTERRUPT" : "",
                    r.availIdx(), String.format("0x%04x", r.usedFlags()), (r.usedFlags() & 1) != 0 ? " NO_NOTIFY" : "",
                    r.usedIdx(), r.inFlight(), r.inFlight() > r.num() ? " (MORE THAN num " + r.num() + ")" : "");
            entries("avail", r.avail(), r.availIdx());
            entries("used", r.used(), r.usedIdx());
        }
    }

    private void entries(String which, List<RingEntry> entries, int idx) {
        if (entries.isEmpty()) {
            line("  %s entries: none written yet", which);
            return;
        }
        line("  %s entries, newest first (the last %d):", which, entries.size());
        for (RingEntry e : entries) {
            String head = e.usedLen() < 0 ? String.format("head %-5d", e.head())
                    : String.format("id %-5d len %-6d", e.head(), e.usedLen());
            Desc d = e.desc();
            String desc = d == null ? "-> no such descriptor (not below num)"
                    : String.format("-> desc %-5d addr %s len %-6d %s%s%s", d.index(), hex8(d.addr()), d.len(),
                            words(DumpReport.descFlags(d.flags())),
                            (d.flags() & 1) != 0 ? " next " + d.next() : "", d.inside() ? "" : "  OUTSIDE the region");
            line("    idx %-5d slot %-5d %s %s", e.idx(), e.slot(), head, desc);
        }
    }

    private void endpoints(Traffic t) {
        heading("endpoints: what the ring buffers still hold, not a registry");
        line("(endpoints live in the two processes, not in shared memory: below are the rpmsg headers found in the");
        line(" buffers the descriptors point to; a buffer keeps the last message written into it until it is reused)");
        line("buffers scanned %d: %d with an rpmsg header, %d empty (never written), %d unreadable", t.buffers(),
                t.buffers() - t.empty() - t.unreadable(), t.empty(), t.unreadable());
        if (!t.flows().isEmpty()) {
            line("messages by src -> dst:");
            for (Flow f : t.flows()) {
                line("  vdev%d vring%d %-16s %-10s -> %-10s %6d messages %9d payload bytes%s", f.vdev(), f.vring(),
                        f.direction(), hex(f.src()), hex(f.dst()), f.messages(), f.bytes(),
                        f.dst() == 0x35 ? "  (name service)" : "");
            }
        }
        if (!t.names().isEmpty()) {
            line("name-service messages (to 0x35):");
            for (NsSeen n : t.names()) {
                line("  vdev%d vring%d %-16s %-10s \"%s\" addr %s%s", n.vdev(), n.vring(), n.direction(),
                        DumpReport.nsFlagName(n.flags()), DumpReport.printable(n.name()), hex(n.addr()),
                        n.count() > 1 ? " (x" + n.count() + ")" : "");
            }
        }
    }

    private void heaps(List<HeapInfo> heaps) {
        for (HeapInfo h : heaps) {
            heading("heap of vdev" + h.vdev() + ": " + h.source());
            line("window %s..%s (%s bytes); its vrings take %s bytes, the heap is %s..%s (%s bytes)",
                    hex(h.start()), hex(h.start() + h.size()), hex(h.size()), hex(h.vringBytes()), hex(h.heapStart()),
                    hex(h.heapStart() + h.heapSize()), hex(h.heapSize()));
            if (h.buffers() == 0) {
                line("buffers descriptors point to: none");
            } else {
                line("buffers descriptors point to: %d, %d bytes, lowest %s, highest end %s%s", h.buffers(),
                        h.bufferBytes(), hex(h.lowest()), hex(h.highestEnd()),
                        h.outsideWindow() == 0 ? "" : ", " + h.outsideWindow() + " OUTSIDE the heap");
            }
            line("the allocator's bookkeeping (which buffers are free) lives in the host process, not in the file");
        }
    }

    private void anomalies(List<String> anomalies) {
        if (anomalies.isEmpty()) {
            heading("anomalies: none");
            return;
        }
        heading("anomalies (" + anomalies.size() + ")");
        for (String a : anomalies) {
            line("  %s", a);
        }
    }
}
