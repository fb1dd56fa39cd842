package io.kddm.impl.core;

/**
 * The coherence protocol as one table: for every role, state and event, what a
 * node does, the state it goes to and the method that runs it. Object-side
 * states are {@link ObjectState}s (Kerrighed's names), home-side states are
 * {@link HomeState}s. Handlers cite their rows in their Javadoc, tests cite the
 * rows they cover with {@code @Covers}, and {@code StateTableTest} checks that
 * every handler named here exists, that every row is covered by a test, and
 * that {@code docs/PROTOCOL.md} is this table.
 * <p>
 * Roles: {@code object} runs on a node that holds or wants the object,
 * {@code home} on the object's home, {@code local} for this node's own calls,
 * {@code budget} when over the memory budget, {@code failure} when the agreed
 * view changes (a node leaves, is taken out, comes back) or this node's lease
 * does, {@code backup} where objects of a family with backups are put or
 * handed over, {@code failover} where the home of an object whose owner died
 * decides what it is, {@code admission} for every message, by the view installed here.
 */
enum StateTable {
    // ---- object side: asking for the object ------------------------------------------------------------------------
    O1("object", "INV_COPY", "local get, nobody queued before it",
            "GET_REQ to the home", "WAIT_OBJ_READ", "ObjectSide#request"),
    O2("object", "INV_COPY, READ_COPY", "local grab, nobody queued before it",
            "GRAB_REQ to the home", "WAIT_OBJ_WRITE", "ObjectSide#request"),
    O3("object", "WAIT_OBJ_READ, WAIT_OBJ_WRITE", "TOUCH from the home",
            "the IO linker makes the object (a worker thread); DONE naming this node to the home",
            "INV_FILLING, then READ_OWNER (get) or WRITE_OWNER (grab)", "FirstTouch#touch"),
    O4("object", "WAIT_OBJ_READ", "COPY from the owner",
            "IO linker insert; DONE to the home; the queue is served", "READ_COPY", "ObjectSide#copy"),
    O5("object", "WAIT_OBJ_WRITE (or any, for a handoff)", "OWNERSHIP from the old owner",
            "waits for the INV_ACK of every copy it lists (less those already in)", "WAIT_ACK_WRITE",
            "ObjectSide#ownership"),
    O6("object", "INV_COPY, WAIT_OBJ_READ, WAIT_OBJ_WRITE", "INV_ACK before the OWNERSHIP that lists it",
            "kept for it", "unchanged", "ObjectSide#invalidationAck"),
    O7("object", "WAIT_ACK_WRITE", "the last INV_ACK",
            "IO linker insert; DONE naming this node to the home; the queue is served", "WRITE_OWNER",
            "ObjectSide#completeIfAcked"),
    O8("object", "WAIT_OBJ_READ, WAIT_OBJ_WRITE", "LOST from the home",
            "the waiters fail (ObjectLostException); the request and any transfer are forgotten", "INV_COPY",
            "ObjectRecovery#lost"),
    O9("object", "INV_COPY (request given up)", "a late COPY, OWNERSHIP or TOUCH",
            "ignored (a TOUCH answered with DONE so that the home moves on)", "INV_COPY", "ObjectSide#copy"),
    // ---- object side: granting locks --------------------------------------------------------------------------------
    O10("object", "READ_COPY, READ_OWNER, WRITE_OWNER", "local get, no writer here (or none needed)",
            "granted, no message", "unchanged", "ObjectSide#serve"),
    O11("object", "WRITE_OWNER", "local grab, no holder here",
            "granted, no message", "WRITE_OWNER", "ObjectSide#serve"),
    O12("object", "READ_OWNER", "local grab, no holder here, empty copyset",
            "granted, no message", "WRITE_OWNER", "ObjectSide#serve"),
    O13("object", "READ_OWNER", "local grab, no holder here, copies elsewhere",
            "INV to every copy, acks to this node", "WAIT_ACK_INV", "ObjectSide#upgrade"),
    O14("object", "WAIT_ACK_INV", "the last INV_ACK", "the grab is granted", "WRITE_OWNER",
            "ObjectSide#completeIfAcked"),
    O15("object", "any held", "put of a grab",
            "the new value is published; IO linker put; the queue is served", "unchanged",
            "LocalOperations#release"),
    // ---- object side: serving other nodes ---------------------------------------------------------------------------
    O16("object", "READ_OWNER, WRITE_OWNER", "FWD_GET, no writer here",
            "COPY to the requester, added to the copyset", "READ_OWNER", "ObjectSide#serve"),
    O17("object", "READ_OWNER, WRITE_OWNER", "FWD_GRAB or handoff, no holder here",
            "OWNERSHIP to the requester listing the other copies; INV to each, acks to the requester",
            "INV_COPY", "ObjectSide#handOver"),
    O18("object", "READ_OWNER, WRITE_OWNER, WAIT_ACK_INV", "FWD_GET or FWD_GRAB while held or invalidating",
            "queued behind the holders and earlier waiters, served in order", "unchanged",
            "ObjectSide#ownerForward"),
    O19("object", "READ_OWNER, WRITE_OWNER", "FWD_GET or FWD_GRAB of this node's own request (a handoff overtook it)",
            "DONE (owner unchanged) to the home; the queue is served", "unchanged", "ObjectSide#ownerForward"),
    O20("object", "not an owner", "FWD_GET or FWD_GRAB",
            "NOT_OWNER to the home (its record is wrong; never queued, it would wait for ever)", "unchanged",
            "ObjectSide#ownerForward"),
    O21("object", "READ_COPY, no holder here", "INV", "the copy is dropped; INV_ACK to the new owner",
            "INV_COPY", "ObjectSide#invalidate"),
    O22("object", "READ_COPY, held by local readers", "INV", "no new grant", "INV_DEFERRED",
            "ObjectSide#invalidate"),
    O23("object", "INV_DEFERRED", "the last local reader puts", "the copy is dropped; INV_ACK to the new owner",
            "INV_COPY", "ObjectSide#serve"),
    O24("object", "INV_COPY", "INV (the copy was flushed before)", "INV_ACK at once", "INV_COPY",
            "ObjectSide#invalidate"),
    O25("object", "READ_OWNER, WRITE_OWNER, idle, the only copy", "FWD_WRITEBACK",
            "WRITTEN_BACK with the bytes to the home; dropped", "INV_COPY", "ObjectSide#ownerWriteBack"),
    O26("object", "READ_OWNER, WRITE_OWNER, in use again", "FWD_WRITEBACK", "DONE (kept) to the home",
            "unchanged", "ObjectSide#ownerWriteBack"),
    O27("object", "READ_OWNER, WRITE_OWNER", "WHO_HOLDS (a request)", "replies with this node then its copyset",
            "unchanged", "ObjectSide#whoHolds"),
    O28("object", "WAIT_OBJ_READ, WAIT_OBJ_WRITE", "UNKNOWN_SET from the home (it has not opened the set yet)",
            "asked again after a pause (20 ms, doubling to 1 s) while a local thread waits; a thread that times out "
                    + "says why", "unchanged", "ObjectRecovery#notOpenAtHome"),
    O29("object", "any (this node leaves)", "HANDED_OFF from the home", "the leave stops waiting for that object",
            "unchanged", "ViewChanges#handedOff"),
    // ---- home side --------------------------------------------------------------------------------------------------
    H1("home", "TOUCHING, FORWARDED, AT_HOME", "GET_REQ, GRAB_REQ, HANDOFF_REQ or WRITEBACK_REQ",
            "queued: one request in flight per object, served in arrival order", "unchanged", "HomeSide#request"),
    H2("home", "NO_OWNER", "GET_REQ or GRAB_REQ", "TOUCH to the requester", "TOUCHING", "HomeSide#startNext"),
    H3("home", "NO_OWNER, disk-backed family", "GET_REQ or GRAB_REQ from another node",
            "first touch from the home's store (a worker), then serves the request as the owner (rows O16, O17)",
            "AT_HOME, then FORWARDED", "HomeSide#touchAtHome"),
    H4("home", "NO_OWNER, disk-backed family never registered here", "GET_REQ or GRAB_REQ",
            "LOST to the requester (a first touch elsewhere would hide what the store holds)", "NO_OWNER",
            "HomeSide#startNext"),
    H5("home", "OWNED", "GET_REQ or GRAB_REQ", "FWD_GET or FWD_GRAB to the owner", "FORWARDED",
            "HomeSide#startNext"),
    H6("home", "OWNED", "HANDOFF_REQ from the owner (it flushes the object)",
            "FWD_GRAB on the target's behalf, marked as a handoff", "FORWARDED", "HomeSide#startNext"),
    H7("home", "OWNED", "HANDOFF_REQ or WRITEBACK_REQ from a node that no longer owns it",
            "HANDED_OFF to it for a HANDOFF_REQ (a leave stops waiting: the home knows the owner); else dropped",
            "OWNED", "HomeSide#startNext"),
    H8("home", "OWNED", "WRITEBACK_REQ from the owner", "FWD_WRITEBACK to it", "FORWARDED",
            "HomeSide#startNext"),
    H9("home", "TOUCHING, FORWARDED", "DONE from the requester",
            "the owner becomes the node DONE names (0: unchanged); HANDED_OFF to the node that handed it off, if "
                    + "it was a handoff; the next request starts", "OWNED", "HomeSide#done"),
    H10("home", "NO_OWNER, OWNED", "DONE with no request of that node in flight", "logged and ignored",
            "unchanged", "HomeSide#done"),
    H11("home", "FORWARDED (a write-back)", "WRITTEN_BACK", "stored through the IO linker (a worker); if "
            + "that fails, the home keeps the object as its owner", "AT_HOME, then NO_OWNER (or OWNED)",
            "HomeSide#writtenBack"),
    H12("home", "OWNED, FORWARDED", "REMOVED from the owner",
            "no owner; a request waiting at the remover starts again, as a first touch", "NO_OWNER",
            "HomeSide#removed"),
    H13("home", "FORWARDED", "NOT_OWNER from the node the request went to",
            "the object is lost; LOST to the requester", "LOST", "HomeSide#notOwner"),
    H14("home", "LOST", "any request", "LOST to the requester", "LOST", "HomeSide#startNext"),
    H15("home", "any", "SYNC (a request)", "stores (sync: durably; write-back: not asked) or deletes through the IO linker (a worker); "
            + "replies when the linker returned",
            "unchanged", "HomeSide#sync"),
    H16("home", "any", "WHO_OWNS (a request)", "replies with the owner, nothing if none", "unchanged",
            "HomeSide#whoOwns"),
    H17("home", "(set unknown here, not claimed)", "GET_REQ or GRAB_REQ",
            "UNKNOWN_SET to the requester; nothing recorded, nothing opened", "-", "Dispatch#handle"),
    // ---- local operations -------------------------------------------------------------------------------------------
    L1("local", "READ_COPY, idle", "flush", "dropped silently (it stays in the owner's copyset)", "INV_COPY",
            "LocalOperations#flush"),
    L2("local", "READ_OWNER, WRITE_OWNER, idle", "flush",
            "HANDOFF_REQ to the home naming a node that is up (a copy holder first); alone: synced and kept",
            "unchanged until FWD_GRAB", "LocalOperations#handOff"),
    L3("local", "any", "remove", "grab; removal from the home's store (disk-backed); IO linker remove; "
            + "REMOVED to the home; forwards waiting here are dropped (the home restarts them)", "INV_COPY",
            "LocalOperations#remove"),
    L4("local", "any", "sync, writeBack", "get; the IO linker stores it here (sync or writeBack), or SYNC to the "
            + "home saying which (disk-backed)",
            "unchanged", "LocalOperations#sync"),
    L5("local", "any", "holders", "WHO_OWNS to the home, then WHO_HOLDS to that owner (again while it moves)",
            "unchanged", "LocalOperations#holders"),
    L6("local", "any", "get or grab not granted within its timeout", "the waiter leaves the queue; "
            + "OperationTimeoutException (nothing was granted)", "unchanged", "LocalOperations#acquire"),
    L7("local", "any", "the set is destroyed here, or the node stops",
            "every waiter fails, and so does every thread that queues on the entry later; nothing is granted from it",
            "INV_COPY (void)", "ObjectSide#discard"),
    // ---- over the memory budget -------------------------------------------------------------------------------------
    B1("budget", "READ_COPY, idle", "flushing pass", "dropped silently", "INV_COPY", "Eviction#evict"),
    B2("budget", "READ_OWNER, WRITE_OWNER, idle, the only copy, disk-backed", "flushing pass",
            "WRITEBACK_REQ to the home", "unchanged until FWD_WRITEBACK", "Eviction#writeBack"),
    B3("budget", "READ_OWNER, WRITE_OWNER, idle, not just handed in", "flushing pass", "as L2, never synced",
            "unchanged until FWD_GRAB", "Eviction#evict"),
    // ---- failures ---------------------------------------------------------------------------------------------------
    F1("failure", "READ_OWNER, WRITE_OWNER (this node leaves in order)", "leave",
            "LeaveListeners write back first; no local grant any more; holders put within the limit; read copies "
                    + "dropped; objects of disk-backed families homed here grabbed back and stored (F16; the last node up, "
                    + "without a lease, only those it owns itself); every other "
                    + "owned object handed off to its home (L2) and the home's HANDED_OFF awaited; a home that is unreachable "
                    + "but in the view is waited for until the next view (it is back, or its objects' home moved to "
                    + "another node, or it left: an object of a family without backups was lost with it)", "INV_COPY",
            "ViewChanges#leave"),
    F2("failure", "OWNED by the node that died, no request at it (no backups)", "node down", "the object is lost",
            "LOST", "HomeSide#nodeDown"),
    F3("failure", "FORWARDED to the node that died (no backups)", "node down", "the object is lost; LOST to the requester",
            "LOST", "HomeSide#ownerGone"),
    F4("failure", "TOUCHING for, or FORWARDED a grab for, the node that died (no backups)", "node down",
            "the object is lost: the dead node may have made or changed it, and that may have been seen",
            "LOST", "HomeSide#nodeDown"),
    F5("failure", "FORWARDED a get for the node that died", "node down", "the next request starts",
            "OWNED", "HomeSide#nodeDown"),
    F6("failure", "any (home)", "node down", "the dead node's queued requests are dropped", "unchanged",
            "HomeSide#nodeDown"),
    F7("failure", "READ_OWNER, WRITE_OWNER, WAIT_ACK_WRITE, WAIT_ACK_INV", "node down",
            "the dead node leaves the copyset and is no longer waited for; its forwards are dropped", "unchanged",
            "ObjectRecovery#nodeDown"),
    F8("failure", "INV_DEFERRED for the node that died", "node down", "the copy is dropped; if held (a waiter "
            + "granted it may not have woken yet), once its holders let it go, acknowledged to nobody",
            "INV_COPY, or INV_DEFERRED until released", "ObjectRecovery#nodeDown"),
    F9("failure", "any, the object's home died", "node down", "the waiters fail (NodeDeadException), the "
            + "request, transfer and forwards are forgotten; nothing is granted", "HOME_DOWN",
            "ObjectRecovery#nodeDown"),
    F10("failure", "HOME_DOWN", "the last holder puts", "the copy is dropped (a restarted home would make the "
            + "object anew: one object must never have two owners)", "HOME_DOWN, with no copy", "ObjectSide#serve"),
    F11("failure", "HOME_DOWN, no copy", "local get or grab, the home up again", "asked anew (O1, O2); while "
            + "the home is down, NodeDeadException at once", "WAIT_OBJ_READ, WAIT_OBJ_WRITE", "ObjectSide#request"),
    F12("failure", "any", "a node restarted, or was taken out and joined again (a new incarnation)",
            "the view that has the new incarnation has not the old one: handled as its departure (F2-F11), then "
                    + "it is a new node", "-", "ViewChanges#installed"),
    F13("failure", "any (this node was taken out of the view: paused or cut off)", "excluded",
            "every waiter fails; every copy, ownership and home record is dropped; it joins as a new incarnation",
            "INV_COPY, NO_OWNER", "ViewChanges#excluded"),
    F14("failure", "any", "the lease is lost (no majority of the voters grants it)",
            "local waiters fail at once (NoQuorumException); forwards and home requests wait", "unchanged",
            "ObjectSide#serve"),
    F15("failure", "any", "the lease is regained", "what waited is served", "unchanged",
            "ViewChanges#leaseChanged"),
    F16("failure", "any (this home leaves in order)", "GET_REQ or GRAB_REQ of another node",
            "UNKNOWN_SET (asked again, and once the home has left, NodeDeadException)", "-", "HomeSide#startNext"),
    F17("failure", "INV_COPY, READ_COPY, HOME_DOWN (this node is not in the view installed here: joining, or taken "
            + "out and joining again)", "local get or grab", "nothing is asked of the home, which would drop it (D2): "
            + "the waiter waits, within its timeout, for the view that has this node, then asks (O1, O2)",
            "unchanged", "ObjectSide#request"),
    // ---- redundancy: backups and the failover of a dead owner (families with backups) ------------------------------
    R1("backup", "WRITE_OWNER; INV_FILLING", "put that changed the value; a first touch",
            "the version goes on (epoch, seq + 1); BACKUP (version, value) to the backup targets of the view (the "
                    + "members after the home, skipping the owner); the holder keeps the object, and the toucher does "
                    + "not own it yet, until each target acknowledged; then O15 (O3)",
            "unchanged", "LocalOperations#release"),
    R2("backup", "any (a backup target)", "BACKUP",
            "kept unless a newer version is kept here, or the object was removed at one not older (R30); "
                    + "acknowledged (refused without a lease)", "unchanged",
            "Replication#onBackup"),
    R3("backup", "WRITE_OWNER", "remove of an object with backups",
            "every member drops its backup (BACKUP, count 1, with the removed version: R30) before REMOVED, so that "
                    + "no failover brings it back",
            "INV_COPY", "Replication#dropEverywhere"),
    R4("backup", "WRITE_OWNER", "a backup target dies before it acknowledged",
            "the next view's target is sent the backup; the put waits (within the operation timeout, else it "
                    + "fails saying the value is kept but not backed up)", "unchanged", "Replication#backUp"),
    R5("failover", "OWNED by, FORWARDED to, TOUCHING for or FORWARDED a grab for the node that died; FORWARDED to a "
            + "node that answered NOT_OWNER", "node down",
            "the request in flight goes back to the head of the queue (kept even when its requester is the node that "
                    + "answered NOT_OWNER); CLAIM to every member left; nothing is served",
            "RECOVERING", "OwnerFailover#begin"),
    R6("failover", "any (a survivor)", "CLAIM",
            "replies what it holds, with versions: the ownership, an incoming ownership (given up: the acks it waits "
                    + "for may never come), a read copy, a backup", "unchanged, or WAIT_OBJ_WRITE from WAIT_ACK_WRITE",
            "OwnerFailover#claims"),
    R7("failover", "RECOVERING", "the last claim, one naming the ownership",
            "that node completed the transfer the dead node started: it is the owner; the queue is served", "OWNED",
            "OwnerFailover#finishIfComplete"),
    R8("failover", "RECOVERING", "the last claim, none naming the ownership",
            "the newest version becomes the object at the home (READ_OWNER, every read copy in its copyset) and the "
                    + "queue is served; with no copy anywhere, the object is lost and never made anew",
            "OWNED or LOST", "OwnerFailover#promote"),
    R9("failover", "RECOVERING", "node down", "its claim is not awaited any more", "unchanged",
            "OwnerFailover#survivorDown"),
    R10("backup", "READ_OWNER, WRITE_OWNER", "FWD_GRAB (the ownership handed over), with backups",
            "the value is kept here as a backup too: the new owner may be the node that kept its only backup, and "
                    + "its crash must not take the newest version with it", "INV_COPY", "ObjectSide#handOver"),
    R11("backup", "any", "local grab of an object with backups, fewer nodes in the view than min.copies",
            "fails at once (KddmException naming the nodes and the minimum): its puts could not be kept as the "
                    + "family asks", "unchanged", "Replication#checkCopies"),
    R12("backup", "READ_OWNER, WRITE_OWNER with fewer live backups than asked (a target left, a takeover)",
            "a view without a node; a takeover at this home; again while such objects keep this node from "
                    + "reporting itself fully replicated (R26)",
            "backed up again on the view's targets, one object after another on a worker (the object is not held: "
                    + "a newer put's backup wins at the targets)", "unchanged", "Replication#reReplicateSoon"),
    R13("backup", "WRITE_OWNER, visible mode", "put that changed the value",
            "returns at once; BACKUP on a worker; local threads are served, forwards (other nodes) wait until "
                    + "every target acknowledged", "unchanged", "LocalOperations#release"),
    R23("backup", "READ_OWNER, WRITE_OWNER (or INV_FILLING, a first touch)",
            "a backup round of version v (a put, sync or visible, a first touch, a re-replication) acknowledged by "
                    + "every target of the view, the targets not those of the last collection on this owner (or none "
                    + "since it became owner)",
            "BACKUP, count 2 (collect, v as its bytes) to every other member, not awaited, and this node's own "
                    + "backup store looked at as R24 does. Safe: v is held by "
                    + "the owner and every target, which replace it only by newer, so the newest version never loses a "
                    + "copy; a late drop (after a later owner's round) drops only what is older than v, never a value "
                    + "an owner kept as it handed the object over (R10), which is of the new owner's version; the "
                    + "claims (R5-R9, R16-R17) take the newest version shown", "unchanged",
            "BackupCollection#roundDone"),
    R24("backup", "any (a member)", "BACKUP, count 2 (collect)",
            "its backup of the object is dropped if its version is older than the one the message carries; an "
                    + "equal or newer one stays; acknowledged (refused without a lease or from a node not in the "
                    + "view, as R2)", "unchanged", "BackupCollection#onCollect"),
    R25("failover", "any (a member)", "this node leaves in order, every object handed over; LEDGER, count 0 (left), "
            + "from a member", "the leaver tells every member and waits for them (2 s at most); a member keeps it, and "
            + "the view without that incarnation is no crash", "unchanged", "CrashLedger#leftInOrder"),
    R26("failover", "any (a member)", "a view installed here; then this node rebuilds no range, takes nothing over, "
            + "owns no object with fewer backups than asked, and keeps no backup of an owner gone from the view that "
            + "no home took over (it asks the acting home who owns it)", "LEDGER, count 1 (replicated, the view in "
            + "its bytes) to every member, asked again while unanswered. A member gone from a view (in order or not) "
            + "counts until every member of that view reported this in it or a later one, or every member of a later "
            + "view did in it", "unchanged", "CrashLedger#viewInstalled"),
    R27("failover", "any (a member)", "a view installed here that takes out, by a crash (or a restart in place), "
            + "the node acting for a home, while more than one departure is not recovered from (k); or a member dies "
            + "whose claims a rebuild of the home awaited (R18), k being more than one",
            "the home is marked (k, the view), on every node that sees it, whether or not it has the sets open; the "
                    + "marks and an operator's clears are put in every CLAIMS reply and merged by the asker. In a set "
                    + "of a memory family with fewer than k backups, a request for an object of that home with no owner "
                    + "gets LOST (it may have existed, and every copy died) instead of TOUCH; what the claims hold is "
                    + "served", "unchanged", "CrashLedger#departed"),
    R28("failover", "(a marked home)", "an operator clears a set there (kddm:lost --clear)",
            "LEDGER, count 2 (cleared) to every member: marks as old as the view installed here no longer hold for "
                    + "that set; an object nobody holds is made anew at its next touch (TOUCH)", "unchanged",
            "CrashLedger#clear"),
    R29("failover", "any (a member), a family whose homes move, in memory", "an object found lost at its acting "
            + "home (R8: its owner died, no copy anywhere)", "LEDGER, count 3 (lost) to every member, which keeps it; "
            + "every CLAIMS reply names it, and the next acting home records it lost instead of taking a copy over "
            + "(R17): a copy left somewhere is older than what was lost. Forgotten by a clear (R28)", "unchanged",
            "LostObjects#lost"),
    R30("failover", "any (a member), a family with backups", "BACKUP, count 1 (a drop: R3), with the version it "
            + "was removed at", "its backup, if older, goes; the version is kept as the object's floor until a newer "
            + "backup of it comes (made anew) or its set is destroyed: an older backup is refused, every CLAIM and "
            + "CLAIMS reply names the floor, and neither the owner failover (R7) nor a rebuild (R17) promotes a copy "
            + "not newer than it; a rebuilt home record takes it as its floor (R3: the next first touch makes a "
            + "newer version). A drop that missed a member, or a backup that came late, can then not bring a removed "
            + "value back wherever its home moves", "unchanged", "BackupStore#removed"),
    R14("failover", "any (families with backups, or a replicated store)", "the object's home is not in the view "
            + "installed here", "requests go to its acting home: the next member of the view in id order, and "
            + "around; for a replicated store, the home's first store node in the view (S1)", "unchanged",
            "Coherence#home"),
    R15("failover", "WAIT_OBJ_READ, WAIT_OBJ_WRITE, WAIT_ACK_WRITE, or an owner with forwards queued",
            "a view that moves the object's acting home (its home left or came back)",
            "the request in flight is given up and asked of the new acting home; TOUCH, COPY, OWNERSHIP, LOST and "
                    + "UNKNOWN_SET sent in older views are ignored; the old one's forwards are dropped, here and when "
                    + "they come later (a forward this node sent itself as the old acting home too), and so is a "
                    + "request reaching a node that does not act for the object",
            "WAIT_OBJ_READ, WAIT_OBJ_WRITE (asked anew)", "ObjectRecovery#homesMoved"),
    R16("failover", "(the objects of a home this node now acts for)",
            "a view that makes this node their acting home, or a set opened here",
            "CLAIMS to every member: what do you hold of the objects of that home? None of them is served until "
                    + "every member answered", "(rebuilding)", "HomeRebuild#homesMoved"),
    R17("failover", "(rebuilding)", "the last answer to CLAIMS",
            "each object: a member that owns it stays its owner; else its newest version is made the object here "
                    + "(READ_OWNER, every read copy in its copyset); the queues are served", "OWNED",
            "HomeRebuild#finishIfComplete"),
    R18("failover", "(rebuilding)", "node down", "its claims are not awaited any more", "unchanged",
            "HomeRebuild#memberDown"),
    R19("failover", "READ_OWNER, WRITE_OWNER of an object this node is the acting home of (families whose homes "
            + "move)", "this node leaves in order", "BACKUP of the newest version to every other member, so that "
            + "the next acting home finds it in the claims", "INV_COPY (with this node)", "Replication#backUpEverywhere"),
    R21("failover", "(the objects of a home this node acts for but did not know of: it joined after that home "
            + "left, so no view it installed had it)", "the first home message for one of them",
            "as R16: its range is rebuilt from every member's claims before any of its messages is served",
            "(rebuilding)", "HomeRebuild#defer"),
    R20("failover", "WRITE_OWNER, a put waiting for its backups, or a grab not put yet",
            "this node is taken out of the cluster (F13)",
            "a put waiting for its backups throws OutcomeUnknownException (a backup kept before may have been "
                    + "promoted, or not), and no backup of it is sent any more, to this view's targets or the next "
                    + "incarnation's; a put of a value held meanwhile throws KddmException (it never left the node)",
            "INV_COPY (dropped)", "LocalOperations#release"),
    R22("failover", "RECOVERING, disk-backed family", "the last claim, none naming the ownership, no copy anywhere",
            "its store has the value last written back (a closed or synced file's pages): nothing is recorded and the "
                    + "next request reads it from there (H3); what the dead node changed since died with it, and "
                    + "nobody alive saw it", "NO_OWNER", "OwnerFailover#finishIfComplete"),
    R31("failover", "RECOVERING or (rebuilding), disk-backed family with backups",
            "the last claim (CLAIM, CLAIMS), its newest copy or backup of a version not newer than the one stored "
                    + "here (S16)", "not promoted: the store has that value or a newer one, and the next request reads "
                    + "it from there (H3); if read copies are left, the home owns the store's value at once, those "
                    + "copies in its copyset, so that the next grab invalidates them. A newer one is promoted (R8, "
                    + "R17) and written back here at its version. A "
                    + "holder's write-back acknowledged at version v sends every member BACKUP with count 2 (a "
                    + "collection, R23) above v: backups of v and older go, and an owner whose store has its version "
                    + "asks none again (R12); a first touch from the store is backed up nowhere: its store is its copy",
            "NO_OWNER, or OWNED", "OwnerFailover#finishIfComplete"),
    // ---- replicated stores: disk-backed families whose linker stores each object on several nodes -----------------------
    S1("store", "any (the acting home of a replicated store)", "a store: SYNC from a holder, a sync or removal here, "
            + "a leaving home's",
            "stored here at a version newer than the one stored here (S13), then STORE with that version to the "
                    + "home's other store nodes in the view, awaited; one out of the view or "
                    + "that failed is recorded durably by the linker as having missed it (heal index) before the "
                    + "store returns. While the home is out of the view, its first store node in it acts for it (R14)",
            "unchanged", "StoreReplicas#store"),
    S2("store", "any (the acting home)", "a store node in the view did not acknowledge a STORE",
            "recorded as missed, as S1; healed (S4) a second later", "unchanged", "StoreReplicas#store"),
    S3("store", "any (a store node)", "STORE", "stored through the IO linker (which keeps another home's objects "
            + "apart, as its replica), with its version (S13), then acknowledged", "unchanged", "StoreReplicas#onStore"),
    S4("store", "any (the acting home of objects a store node missed, their range not being rebuilt)",
            "a view installed; a range of the set rebuilt here (R17); every 5 s (the heal index crawled again)",
            "each member is sent the stored value of every object it missed that this node acts for (STORE, with "
                    + "its version), one object at a time under its store lock, and the miss forgotten once "
                    + "acknowledged; in the crawl, also what a member missed of the objects it acts for (as S5: a set "
                    + "it opened since was healed by S5 already, and its versions keep the newest)",
            "unchanged", "StoreHeal#viewInstalled"),
    S5("store", "any (a member)", "CLAIMS of a set from a node that now acts for a home (R16)",
            "every STORE admitted here before is written (or refused, S8) first; then what the asker missed of the "
                    + "set's objects of that home is stored there (STORE, as S4; one that fails refuses the claims, "
                    + "which are asked again), then the claims are answered: "
                    + "the asker serves none of those objects before every member answered, so no healed value "
                    + "overtakes a newer store", "unchanged", "HomeRebuild#onClaims"),
    S6("store", "any (a node that joined, or joined again)", "a view that has this node, the first since it was "
            + "out", "MISSED to every member: the sets in which it missed stores; each is opened here, so that the "
            + "ranges this node acts for in them are rebuilt, and healed first (S5); a member that cannot answer yet "
            + "is asked again every 500 ms while it stays in the view (40 times at most)", "unchanged",
            "StoreHeal#joined"),
    S7("store", "any (a member)", "MISSED", "replies the ids of the sets in which the asker missed stores made here "
            + "(the IO linkers' heal indexes)", "unchanged", "StoreHeal#onMissed"),
    S8("store", "any", "a store asked of an incarnation taken out since, or of a home the view moved since; a STORE "
            + "from a node that does not act for the object in the view installed here (a heal: nor does this node)",
            "refused (the store fails, and its asker asks the acting home): its value may be older than what the next "
                    + "acting home stored meanwhile", "unchanged", "StoreReplicas#onStore"),
    S9("store", "any (a holder)", "its SYNC to the acting home unanswered or refused, and the view moves the "
            + "object's acting home (its home paused, crashed or left)", "the SYNC is sent again to the new acting home "
            + "at once (or stored here, if this node acts for it now): the old one's answer may never come, and it will "
            + "not store it any more (S8); one lost with its connection while the home is still in the view is sent "
            + "again until the home answers or the view moves it", "unchanged", "LocalOperations#atHome"),
    S10("store", "any (the home of a replicated store, in the view with every store node of its objects)",
            "a full heal asked here, or HEAL_FULL from a node", "every object the home or another store node stores "
            + "(their listings, STORED) is sent that store node as a heal that compares (STORE), one object at a time "
            + "under its store lock, and its heal record forgotten; replied with the objects checked and repaired. "
            + "A store node or the home out of the view: refused, naming it", "unchanged", "FullHeal#heal"),
    S11("store", "any (a store node)", "STORE of a full heal", "its copy read through the IO linker and compared: "
            + "rewritten only if it differs or cannot be read, then acknowledged saying which", "unchanged",
            "StoreReplicas#onStore"),
    S12("store", "any (a store node)", "STORED", "replies every object its IO linkers store of the home's objects",
            "unchanged", "FullHeal#onStored"),
    S14("store", "any (the acting home of a replicated store of three or more nodes)", "a store; a first touch "
            + "from its store (H3)", "refused (the store fails naming its store nodes, nothing stored; the first touch "
            + "fails, LOST to the requester, not recorded) unless a majority of the home's store nodes is in the "
            + "view and healed this node since it acts for the home, or since they joined (their CLAIMS answered, "
            + "S5; one that joins while this node keeps acting is sent CLAIMS for that); a store acknowledged by fewer than a majority, this node included, fails after its misses are "
            + "recorded (it may stay on fewer nodes, marked). With two store nodes one is enough (S5 orders the other)",
            "unchanged", "StoreReplicas#requireQuorum"),
    S15("store", "any (a store node of a home with three or more)", "a store here: of the acting home, or STORE "
            + "(not a heal)", "every other store node (but the sender) recorded as possibly missing it (the "
            + "linker's heal index), durably, before it is stored: pre-op. Once stored, the acting home forgets its "
            + "marks of the nodes that acknowledged, and tells them (STORE, flagged a clear: the version and who has it), as "
            + "after each heal (S4, S5): each forgets its marks of those, unless it stored a newer version since. So "
            + "the newest acknowledged store is marked on a majority until every store node has it, and a node that "
            + "acts for the home next is healed from the marks before it serves (S5)", "unchanged",
            "StoreReplicas#onStore"),
    S13("store", "any (a store node, the acting home included)", "a store or a heal (STORE) of an object at a "
            + "version older than the one its IO linker recorded here", "not written, acknowledged: this node stores a "
            + "newer value. Else written, then its version recorded beside it (forced, but for a write-back). Every "
            + "store of an acting home has a version newer than any stored at it, and than any an acting home of an "
            + "older view gave (epoch of the view installed there, then sequence), so stores and heals reaching a "
            + "store node in any order leave the newest", "unchanged", "StoreReplicas#writeHere"),
    S16("store", "any (the acting home of a disk-backed family)", "a store whose holder sent the value's own "
            + "version (SYNC, a write-back after WRITEBACK_REQ, a removal: one above the removed value's), or a "
            + "first touch from the store here", "the store is made at that version, on one store node or several, "
            + "unless the version stored here is newer: then nothing is written and the store fails (a write-back "
            + "that came late, or versions gone apart: its holder must not take its value for stored); a first touch "
            + "takes the value and version stored, read together (a value never stored: above the floor). So an "
            + "object's versions in memory and on disk are one sequence, and a backup is ordered against its store "
            + "(R31). A store sent without a version is made as S13 says", "unchanged", "StoreReplicas#store"),
    // ---- admission by the installed view ------------------------------------------------------------------------------
    D1("admission", "(a message of a newer epoch than the view installed here)", "any message",
            "parked, with every later one of its sender, until that view is installed", "-", "Dispatch#admit"),
    D2("admission", "(its sender is not in the view installed here, or joined after it was sent)", "any message",
            "dropped (a request fails): it was sent before its node left or was taken out", "-", "Dispatch#admit"),
    D3("admission", "(this node was taken out and has not joined again, or joined again as a new incarnation)",
            "any message, its own included, sent in a view older than the one this incarnation joined in",
            "dropped (a request fails): it was meant for the incarnation whose records were dropped (F13); a home "
                    + "would serve it with no records, an owner answer it as one it no longer is. Its sender asks "
                    + "anew once it installs the view with this incarnation (R15, F12)", "-", "Dispatch#admit");

    final String role;
    final String state;
    final String event;
    final String action;
    final String next;
    /** {@code Class#method} of the method that runs the row. */
    final String handler;

    StateTable(String role, String state, String event, String action, String next, String handler) {
        this.role = role;
        this.state = state;
        this.event = event;
        this.action = action;
        this.next = next;
        this.handler = handler;
    }
}
