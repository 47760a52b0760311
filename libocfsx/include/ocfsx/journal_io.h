// The jbd2 JournalIo of an ocfsx journal inode: journal blocks mapped through
// the inode's extents onto the device. mkfs, fsck and the inspectors share it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ocfsx/block_io.h"
#include "ocfsx/device.h"
#include "ocfsx/inode.h"
#include "ocfsx/jbd2.h"
#include "ocfsx/status.h"
#include "ocfsx_fs.h"

namespace ocfsx {

// What writes through the JournalIo do.
enum class JournalWrites {
  kRefuse,   // read-only users: every write fails
  kDiscard,  // checked like a write, then dropped (fsck -n)
  kWrite,
};

// Journal blocks 0..nblocks-1 mapped by `extents` (host byte order). Past
// the end, holes and blocks outside the volume are corruption, as are replay
// targets outside the volume; messages start with `where`, e.g.
// "journal of slot 2: block 17 is a hole".
jbd2::JournalIo MapJournal(Device* dev, const Geometry& geo, std::vector<ocfsx_extent> extents, uint64_t nblocks,
                           std::string where, JournalWrites writes);

// The same over a journal inode read through io: its extents and i_size.
Result<jbd2::JournalIo> MapJournalInode(const MetaIo& io, const Inode& journal, std::string where,
                                        JournalWrites writes);

}  // namespace ocfsx
