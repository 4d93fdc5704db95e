#pragma once
// The catalog's schema, as an ordered list of migrations. Migration N takes a database at
// user_version N-1 to N; each runs in its own transaction together with the version bump, so
// a failure leaves the database at N-1 with nothing of N applied. Never edit a migration that
// has shipped: add a new one.
#include <vector>

namespace vop::store {

struct Migration {
    int version;      // the user_version after this migration
    const char* name; // for logs and errors
    const char* sql;  // one or more statements
};

// The built-in migrations, versions 1..latestSchemaVersion(), in order.
const std::vector<Migration>& catalogMigrations();
int latestSchemaVersion();

// "VOPS": PRAGMA application_id of a vopsearch catalog, so another program's SQLite file is
// recognised and refused instead of being migrated.
constexpr int kCatalogApplicationId = 0x564F5053;

} // namespace vop::store
