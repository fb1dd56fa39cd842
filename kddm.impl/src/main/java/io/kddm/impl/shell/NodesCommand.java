package io.kddm.impl.shell;

import java.util.HashSet;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.kddm.api.membership.Membership;
import io.kddm.api.membership.NodeInfo;
import io.kddm.api.membership.NodeState;
import io.kddm.api.membership.View;
import io.kddm.api.transport.PeerStatus;
import io.kddm.api.transport.Transport;

/** {@code kddm:nodes}: the cluster as this node sees it. */
@Component(service = NodesCommand.class, property = {"osgi.command.scope=kddm", "osgi.command.function=nodes"})
public final class NodesCommand {
    private final Membership membership;
    private final Transport transport;

    @Activate
    public NodesCommand(@Reference Membership membership, @Reference Transport transport) {
        this.membership = membership;
        this.transport = transport;
    }

    @Descriptor("the agreed view (epoch, members, voters), whether this node holds its lease, and every node: id, "
            + "address, state, time since it was last heard, round-trip time; --await N first waits (up to --timeout "
            + "seconds) until N nodes, this one included, are alive in the view and this node holds a lease; "
            + "--gone ID waits until node ID is not in the view (it left, or was taken out)")
    public String nodes(@Parameter(names = "--await", absentValue = "0") int await,
            @Parameter(names = "--gone", absentValue = "0") int gone,
            @Parameter(names = "--timeout", absentValue = "60") int timeout) throws InterruptedException {
        if (await < 0 || await > 255 || gone < 0 || gone > 255 || timeout < 0 || timeout > 86_400) {
            throw new IllegalArgumentException(
                    "--await takes 0..255 nodes, --gone a node id 1..255 and --timeout 0..86400 seconds");
        }
        long deadline = System.nanoTime() + timeout * 1_000_000_000L;
        while (alive() < await || (await > 0 && !membership.hasLease())
                || (gone > 0 && membership.view().members().containsKey(gone))) {
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException((gone > 0 && membership.view().members().containsKey(gone)
                        ? "node " + gone + " still in the view" : alive() + " of " + await + " nodes alive"
                                + (membership.hasLease() ? "" : ", and no lease here,")) + " after " + timeout
                        + " s:\n" + table());
            }
            Thread.sleep(20);
        }
        return table();
    }

    private long alive() {
        return membership.nodes().stream().filter(n -> n.state() == NodeState.ALIVE).count();
    }

    private String table() {
        View view = membership.view();
        String head = "view " + view.epoch() + ": nodes " + view.members().keySet() + ", voters " + membership.voters()
                + "; this node " + (membership.hasLease() ? "holds a lease" : "holds no lease") + "\n";
        Table table = new Table("ID", "ADDRESS", "STATE", "LAST-HEARD", "RTT", "NOTE");
        Set<Integer> listed = new HashSet<>();
        for (NodeInfo n : membership.nodes()) {
            listed.add(n.id());
            String note = (n.local() ? "this node" : "") + (membership.voters().contains(n.id())
                    ? (n.local() ? ", voter" : "voter") : "");
            table.row(n.id(), n.address(), n.state(), n.local() ? "-" : Durations.of(n.lastHeard()),
                    n.rtt().map(Durations::of).orElse("-"), note);
        }
        for (PeerStatus p : transport.peers()) {
            if (p.state() != PeerStatus.State.SELF && !listed.contains(p.node())) {
                // A configured address no node has answered from yet.
                table.row("?", p.address().getHostString() + ":" + p.address().getPort(), p.state(), "-", "-",
                        p.detail());
            }
        }
        return head + table;
    }
}
