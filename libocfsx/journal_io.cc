// Journal block mapping for jbd2 over a journal inode's extents.
#include "ocfsx/journal_io.h"

#include <memory>
#include <utility>

namespace ocfsx {

jbd2::JournalIo MapJournal(Device* dev, const Geometry& geo, std::vector<ocfsx_extent> extents, uint64_t nblocks,
                           std::string where, JournalWrites writes) {
  // Shared by the three closures; JournalIo copies stay cheap.
  auto ext = std::make_shared<const std::vector<ocfsx_extent>>(std::move(extents));
  auto prefix = std::make_shared<const std::string>(std::move(where));
  auto map = [ext, prefix, geo, nblocks](uint64_t jb) -> Result<uint64_t> {
    const std::string what = *prefix + ": block " + std::to_string(jb);
    if (jb >= nblocks) return Status::Corrupt(what + " is past the journal's end");
    uint64_t phys = MapBlockInExtents(*ext, geo, jb);
    if (phys == 0) return Status::Corrupt(what + " is a hole");
    if (phys >= geo.blocks()) return Status::Corrupt(what + " lies outside the volume");
    return phys;
  };
  const uint32_t bs = geo.block_size();
  jbd2::JournalIo jio;
  jio.size_blocks = nblocks;
  jio.read = [map, dev, bs](uint64_t jb, void* buf) -> Status {
    auto b = map(jb);
    if (!b.ok()) return b.status();
    return dev->ReadBlocks(*b, bs, buf);
  };
  jio.write = [map, dev, bs, prefix, writes](uint64_t jb, const void* buf) -> Status {
    if (writes == JournalWrites::kRefuse) return Status::Invalid(*prefix + ": open read-only");
    auto b = map(jb);
    if (!b.ok()) return b.status();
    if (writes == JournalWrites::kDiscard) return Status();
    return dev->WriteBlocks(*b, bs, buf);
  };
  jio.write_fs = [dev, geo, prefix, writes](uint64_t fsb, const void* buf) -> Status {
    if (writes == JournalWrites::kRefuse) return Status::Invalid(*prefix + ": the volume is open read-only");
    if (fsb == 0 || fsb >= geo.blocks())
      return Status::Corrupt(*prefix + ": replay target " + std::to_string(fsb) + " is outside the volume");
    if (writes == JournalWrites::kDiscard) return Status();
    return dev->WriteBlocks(fsb, geo.block_size(), buf);
  };
  return jio;
}

Result<jbd2::JournalIo> MapJournalInode(const MetaIo& io, const Inode& journal, std::string where,
                                        JournalWrites writes) {
  auto ext = CollectExtents(io, journal);
  if (!ext.ok()) return ext.status().WithContext(where);
  return MapJournal(io.device(), io.geometry(), std::move(ext).value(), journal.size() / io.block_size(),
                    std::move(where), writes);
}

}  // namespace ocfsx
