// Cluster keys: the hex rule, fingerprints, generation, and the key line of
// cluster.conf (parse, normalize, serialize, file mode).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>

#include "ocfsx/cluster_conf.h"
#include "ocfsx/cluster_key.h"
#include "testutil.h"

namespace {

const std::string kKey32 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kRule =
    "key is invalid: use an even number of 32 to 128 hex digits (16 to 64 bytes); 'o2cbx generate-key' makes "
    "one";

mode_t ModeOf(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("cluster key: 16 to 64 bytes of hex, never echoed in errors", "[cluster_key]") {
  CHECK(ocfsx::CheckClusterKey(std::string(32, 'a')).ok());
  CHECK(ocfsx::CheckClusterKey(std::string(128, 'F')).ok());
  CHECK(ocfsx::CheckClusterKey(kKey32).ok());
  for (const std::string& bad : {std::string(30, 'a'), std::string(130, 'a'), std::string(33, 'a'),
                                std::string(31, 'a') + "g", std::string(), std::string(32, 'a') + " "}) {
    INFO(bad);
    CHECK(ocfsx::CheckClusterKey(bad).message() == kRule);
  }
  CHECK(ocfsx::NormalizeClusterKey("ABCdef") == "abcdef");
}

TEST_CASE("cluster key: fingerprint is SHA-256 of the bytes, 16 hex digits", "[cluster_key]") {
  CHECK(ocfsx::KeyFingerprint(kKey32) == "630dcd2966c43366");
  CHECK(ocfsx::KeyFingerprint("000102030405060708090a0b0c0d0e0f") == "be45cb2605bf36be");
  CHECK(ocfsx::KeyFingerprint(std::string(128, 'A')) == "693e5f0f347a5d70");  // 64 bytes of 0xaa
  CHECK(ocfsx::KeyFingerprint(std::string(128, 'a')) == "693e5f0f347a5d70");  // 64 bytes of 0xaa
}

TEST_CASE("cluster key: generated keys are 32 random bytes", "[cluster_key]") {
  auto a = ocfsx::GenerateClusterKey();
  auto b = ocfsx::GenerateClusterKey();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->size() == 64);
  CHECK(ocfsx::CheckClusterKey(*a).ok());
  CHECK(ocfsx::NormalizeClusterKey(*a) == *a);
  CHECK(*a != *b);
}

TEST_CASE("cluster.conf: the key line is parsed, normalized and written back", "[cluster_key]") {
  std::string upper = kKey32;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto conf = ocfsx::ClusterConf::Parse("cluster:\n\tname = prd\n\tkey = " + upper + "\n");
  REQUIRE(conf.ok());
  CHECK(conf->FindCluster("prd")->key == kKey32);
  CHECK(conf->HasKey());
  CHECK(conf->Serialize() ==
        "cluster:\n\tname = prd\n\theartbeat_mode = local\n\tnode_count = 0\n\tkey = " + kKey32 + "\n");

  auto bad = ocfsx::ClusterConf::Parse("# keyed\ncluster:\n\tname = prd\n\tkey = 0123secret\n", "c.conf");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "c.conf:4: cluster \"prd\": " + kRule);
  auto twice = ocfsx::ClusterConf::Parse("cluster:\n\tname = prd\n\tkey = " + kKey32 + "\n\tkey = " + kKey32 + "\n",
                                         "c.conf");
  CHECK(twice.status().message() == "c.conf:4: duplicate key \"key\" in cluster stanza (first set on line 3)");

  REQUIRE(conf->SetClusterKey("prd", "").ok());
  CHECK_FALSE(conf->HasKey());
  CHECK(conf->SetClusterKey("prd", "abc").message() == kRule);
  CHECK(conf->SetClusterKey("nope", kKey32).err() == ENOENT);
}

TEST_CASE("cluster.conf: a file holding a key is written with mode 0600", "[cluster_key]") {
  testutil::TempDir dir;
  const std::string path = dir / "cluster.conf";
  auto conf = ocfsx::ClusterConf::Parse("cluster:\n\tname = prd\n");
  REQUIRE(conf.ok());
  REQUIRE(conf->Save(path).ok());
  CHECK(ModeOf(path) == 0644);
  REQUIRE(conf->SetClusterKey("prd", kKey32).ok());
  REQUIRE(conf->Save(path).ok());
  CHECK(ModeOf(path) == 0600);
  // Removing the key keeps the file private: no reason to widen it again.
  REQUIRE(conf->SetClusterKey("prd", "").ok());
  REQUIRE(conf->Save(path).ok());
  CHECK(ModeOf(path) == 0600);
  CHECK(testutil::ReadFile(path).find("key") == std::string::npos);
}

TEST_CASE("cluster.conf: a broken key line is not echoed in the error", "[cluster_key]") {
  auto conf = ocfsx::ClusterConf::Parse("cluster:\n\tname = prd\n\tkey " + kKey32 + "\n", "c.conf");
  REQUIRE_FALSE(conf.ok());
  CHECK(conf.status().message() == "c.conf:3: expected \"key = value\", got \"key ...\"");
  conf = ocfsx::ClusterConf::Parse("key = " + kKey32 + "\ncluster:\n\tname = prd\n", "c.conf");
  CHECK(conf.status().message() == "c.conf:1: key line \"key ...\" must be indented with a tab under its stanza line");
}
