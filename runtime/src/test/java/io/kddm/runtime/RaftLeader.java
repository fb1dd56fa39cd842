package io.kddm.runtime;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which node leads the membership's Raft group, as the Raft library logs it:
 * each role change dumps the group, this node's line saying "N - ROLE this".
 * Shared by the tests that kill the leader (RedundancyIT, NemesisIT).
 */
final class RaftLeader {
    private static final Pattern STAMP = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\S+) ");
    private static final Pattern ROLE = Pattern.compile("^\\s*\\d+ - (\\w+) this");

    private RaftLeader() {
    }

    /**
     * The node that leads now: the one that became leader last and has not
     * changed role since (a node restarted on the same data folder appends to
     * its log, so its new incarnation's first role line supersedes the old
     * one's). Waits for one, at most {@code limit}.
     */
    static int of(List<NodeProcess> nodes, Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            String latest = "";
            int who = 0;
            for (NodeProcess n : nodes) {
                String at = "";
                String since = null;
                for (String line : n.logText().split("\n")) {
                    Matcher t = STAMP.matcher(line);
                    Matcher r = ROLE.matcher(line);
                    if (t.find()) {
                        at = t.group(1);
                    } else if (r.find()) {
                        since = r.group(1).equals("LEADER") ? at : null;
                    }
                }
                if (since != null && since.compareTo(latest) > 0) {
                    latest = since;
                    who = n.id;
                }
            }
            if (who != 0) {
                return who;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no node says it leads the membership within " + limit);
            }
            Thread.sleep(100);
        }
    }
}
