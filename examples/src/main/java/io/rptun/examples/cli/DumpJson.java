package io.rptun.examples.cli;

import io.rptun.core.rsc.CarveoutResource;
import io.rptun.core.rsc.DevmemResource;
import io.rptun.core.rsc.NuttxCommand;
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
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * {@code rptun dump --json}: the report as one JSON object, for tools. Written by hand with a tiny writer
 * (no JSON library for one command). Numbers are unsigned decimal (a u64 {@code desc.addr} may exceed
 * 2^53, where JavaScript loses precision); names read from the file are escaped, never trusted.
 */
final class DumpJson {
    private final StringBuilder sb = new StringBuilder();
    /** Per open object or array: whether it has a member yet. */
    private final Deque<boolean[]> open = new ArrayDeque<>();
    private boolean afterKey;

    private DumpJson() {
    }

    static String render(DumpReport r) {
        DumpJson j = new DumpJson();
        j.obj();
        j.key("file").obj().key("path").str(r.path().toString()).key("size").num(r.fileSize())
                .key("kind").str(r.kind().name()).key("label").str(r.kind().label()).end();
        j.key("parseMode").str(r.mode() == null ? null : r.mode().name());
        j.key("region").obj().key("offset").num(r.regionOffset()).key("size").num(r.regionSize()).end();
        j.key("sim");
        if (r.sim() == null) {
            j.nul();
        } else {
            j.sim(r.sim());
        }
        j.key("table");
        if (r.table() == null) {
            j.nul();
        } else {
            j.table(r.table());
        }
        j.key("memoryMap").arr();
        for (MapEntry e : r.map()) {
            j.obj().key("offset").num(e.offset()).key("size").num(e.size()).key("kind").str(e.kind())
                    .key("what").str(e.what())
                    .key("depth").num(e.depth()).end();
        }
        j.endArr();
        j.key("vrings").arr();
        for (RingState ring : r.rings()) {
            j.ring(ring);
        }
        j.endArr();
        j.endpoints(r);
        j.key("heaps").arr();
        for (HeapInfo h : r.heaps()) {
            j.obj().key("vdev").num(h.vdev()).key("source").str(h.source()).key("start").num(h.start())
                    .key("size").num(h.size()).key("vringBytes").num(h.vringBytes()).key("heapStart").num(h.heapStart())
                    .key("heapSize").num(h.heapSize()).key("buffers").num(h.buffers()).key("bufferBytes")
                    .num(h.bufferBytes()).key("lowest").numOrNull(h.lowest()).key("highestEnd").numOrNull(h.highestEnd())
                    .key("outsideHeap").num(h.outsideWindow())
                    .key("note").str("the allocator's bookkeeping lives in the host process, not in the file").end();
        }
        j.endArr();
        j.key("anomalies").strings(r.anomalies());
        j.key("notes").strings(r.notes());
        j.end();
        return j.sb.append('\n').toString();
    }

    private void sim(SimInfo s) {
        obj().key("magic").num(s.magic()).key("magicText").str(FileInspector.magicText(s.magic()))
                .key("version").num(Integer.toUnsignedLong(s.version())).key("headerSize").num(s.headerSize())
                .key("regionOffset").num(s.regionOffset()).key("regionSize").num(s.regionSize())
                .key("hostEpoch").num(s.hostEpoch()).key("claimedEpoch").num(s.claimedEpoch())
                .key("flags").num(Integer.toUnsignedLong(s.flags())).key("creatorPid").num(s.creatorPid())
                .key("creatorAlive").bool(s.creatorAlive());
        key("sides").arr();
        for (SideInfo side : s.sides()) {
            obj().key("side").str(side.name()).key("pid").num(side.pid()).key("alive").bool(side.alive())
                    .key("epoch").num(side.epoch()).key("heartbeat").num(side.heartbeat())
                    .key("state").str(side.state()).key("stateCode").num(Integer.toUnsignedLong(side.stateCode()))
                    .key("doorbellSeq").num(Integer.toUnsignedLong(side.doorbellSeq()))
                    .key("sleeping").bool(side.sleeping() != 0).end();
        }
        endArr().end();
    }

    private void table(ParsedResourceTable parsed) {
        ResourceTable t = parsed.table();
        obj().key("ver").num(1).key("num").num(t.entries().size()).key("extent").num(parsed.extent())
                .key("reserved0").num(Integer.toUnsignedLong(t.reserved0()))
                .key("reserved1").num(Integer.toUnsignedLong(t.reserved1()));
        key("cmdMaster");
        command(t.masterCommand());
        key("cmdSlave");
        command(t.slaveCommand());
        key("entries").arr();
        for (int e = 0; e < t.entries().size(); e++) {
            ResourceEntry entry = t.entries().get(e);
            obj().key("index").num(e).key("offset").num(parsed.entryOffsets().get(e)).key("type").num(entry.type());
            switch (entry) {
                case VdevResource v -> vdev(v);
                case CarveoutResource c -> key("kind").str("carveout").key("name").str(c.name()).key("da").num(c.da())
                        .key("pa").num(c.pa()).key("len").num(c.len()).key("flags").num(Integer.toUnsignedLong(c.flags()));
                case DevmemResource d -> key("kind").str("devmem").key("name").str(d.name()).key("da").num(d.da())
                        .key("pa").num(d.pa()).key("len").num(d.len()).key("flags").num(Integer.toUnsignedLong(d.flags()));
                case TraceResource tr -> key("kind").str("trace").key("name").str(tr.name()).key("da").num(tr.da())
                        .key("len").num(tr.len());
                case VendorResource vr -> key("kind").str("vendor").key("length").num(vr.data().length());
            }
            end();
        }
        endArr().end();
    }

    private void command(NuttxCommand c) {
        obj().key("word").num(Integer.toUnsignedLong(c.encode())).key("cmd").str(DumpReport.commandName(c))
                .key("value").num(c.value()).end();
    }

    private void vdev(VdevResource v) {
        key("kind").str("vdev").key("id").num(Integer.toUnsignedLong(v.id())).key("device").str(DumpReport.vdevIdName(v.id()))
                .key("notifyId").num(Integer.toUnsignedLong(v.notifyId()))
                .key("dfeatures").num(Integer.toUnsignedLong(v.dfeatures()))
                .key("dfeatureNames").strings(DumpReport.featureBits(v.id(), v.dfeatures()))
                .key("gfeatures").num(Integer.toUnsignedLong(v.gfeatures()))
                .key("gfeatureNames").strings(DumpReport.featureBits(v.id(), v.gfeatures()))
                .key("status").num(v.status()).key("statusBits").strings(DumpReport.statusBits(v.status()))
                .key("reserved0").num(v.reserved0()).key("reserved1").num(v.reserved1());
        key("vrings").arr();
        for (VringResource r : v.vrings()) {
            obj().key("da").num(r.da()).key("align").num(r.align()).key("num").num(r.num())
                    .key("notifyId").num(Integer.toUnsignedLong(r.notifyId())).end();
        }
        endArr();
        key("configLength").num(v.config().length());
        Optional<RptunConfig> config = Optional.empty();
        try {
            config = v.rptunConfig();
        } catch (RuntimeException notAConfig) {
            // left out below
        }
        key("config");
        if (config.isEmpty()) {
            nul();
        } else {
            RptunConfig c = config.get();
            obj().key("h2rBufSize").num(c.h2rBufSize()).key("r2hBufSize").num(c.r2hBufSize())
                    .key("h2rBufAddr").num(c.h2rBufAddr()).key("r2hBufAddr").num(c.r2hBufAddr())
                    .key("hostCpuName").str(c.hostCpuName()).key("remoteCpuName").str(c.remoteCpuName()).end();
        }
    }

    private void ring(RingState r) {
        obj().key("vdev").num(r.vdev()).key("index").num(r.index()).key("direction").str(r.direction())
                .key("da").num(r.da()).key("align").num(r.align()).key("num").num(r.num())
                .key("notifyId").num(Integer.toUnsignedLong(r.notifyId())).key("size").num(r.size())
                .key("placement").str(r.placement()).key("read").bool(r.read());
        if (r.read()) {
            key("availFlags").num(r.availFlags()).key("availIdx").num(r.availIdx()).key("usedFlags").num(r.usedFlags())
                    .key("usedIdx").num(r.usedIdx()).key("inFlight").num(r.inFlight());
            key("avail");
            entries(r.avail());
            key("used");
            entries(r.used());
        }
        end();
    }

    private void entries(List<RingEntry> entries) {
        arr();
        for (RingEntry e : entries) {
            obj().key("idx").num(e.idx()).key("slot").num(e.slot()).key("head").num(e.head());
            if (e.usedLen() >= 0) {
                key("len").num(e.usedLen());
            }
            key("desc");
            Desc d = e.desc();
            if (d == null) {
                nul();
            } else {
                obj().key("index").num(d.index()).key("addr").num(d.addr()).key("len").num(d.len())
                        .key("flags").num(d.flags()).key("flagNames").strings(DumpReport.descFlags(d.flags()))
                        .key("next").num(d.next()).key("inside").bool(d.inside()).end();
            }
            end();
        }
        endArr();
    }

    private void endpoints(DumpReport r) {
        key("endpoints").obj().key("note").str("what the ring buffers still hold, not a registry: endpoints live in"
                + " the processes").key("buffersScanned").num(r.traffic().buffers())
                .key("emptyBuffers").num(r.traffic().empty()).key("unreadableBuffers").num(r.traffic().unreadable());
        key("flows").arr();
        for (Flow f : r.traffic().flows()) {
            obj().key("vdev").num(f.vdev()).key("vring").num(f.vring()).key("direction").str(f.direction())
                    .key("src").num(f.src()).key("dst").num(f.dst()).key("messages").num(f.messages())
                    .key("bytes").num(f.bytes()).end();
        }
        endArr();
        key("nameService").arr();
        for (NsSeen n : r.traffic().names()) {
            obj().key("vdev").num(n.vdev()).key("vring").num(n.vring()).key("direction").str(n.direction())
                    .key("name").str(n.name()).key("addr").num(n.addr()).key("flags").num(n.flags())
                    .key("flag").str(DumpReport.nsFlagName(n.flags())).key("count").num(n.count()).end();
        }
        endArr().end();
    }

    // ---------------------------------------------------------------- the writer

    private void beforeValue() {
        if (afterKey) {
            afterKey = false;
            return;
        }
        boolean[] first = open.peek();
        if (first != null) {
            if (first[0]) {
                sb.append(',');
            }
            first[0] = true;
        }
    }

    private DumpJson obj() {
        beforeValue();
        sb.append('{');
        open.push(new boolean[1]);
        return this;
    }

    private DumpJson end() {
        open.pop();
        sb.append('}');
        return this;
    }

    private DumpJson arr() {
        beforeValue();
        sb.append('[');
        open.push(new boolean[1]);
        return this;
    }

    private DumpJson endArr() {
        open.pop();
        sb.append(']');
        return this;
    }

    private DumpJson key(String name) {
        beforeValue();
        escaped(name);
        sb.append(':');
        afterKey = true;
        return this;
    }

    private DumpJson str(@Nullable String value) {
        if (value == null) {
            return nul();
        }
        beforeValue();
        escaped(value);
        return this;
    }

    private DumpJson num(long value) {
        beforeValue();
        sb.append(value < 0 ? Long.toUnsignedString(value) : Long.toString(value));
        return this;
    }

    /** A number, or null for -1 ("none"). */
    private DumpJson numOrNull(long value) {
        return value < 0 ? nul() : num(value);
    }

    private DumpJson bool(boolean value) {
        beforeValue();
        sb.append(value);
        return this;
    }

    private DumpJson nul() {
        beforeValue();
        sb.append("null");
        return this;
    }

    private DumpJson strings(List<String> values) {
        arr();
        values.forEach(this::str);
        return endArr();
    }

    /** A JSON string: quotes, backslashes and every control character escaped. */
    private void escaped(String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7F || c == 0x2028 || c == 0x2029) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
