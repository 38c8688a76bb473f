/** `npm run migrate`: applies pending migrations to DATABASE_URL (directly or through DATABASE_POOLER). */
import { ConfigError, parseDatabaseConfig, type DatabaseConfig } from '../config.ts';
import { connect, describeDatabase } from './client.ts';
import { poolerMismatch } from './index.ts';
import { migrate } from './migrate.ts';

let database: DatabaseConfig;
try {
	database = parseDatabaseConfig(process.env);
} catch (error) {
	if (!(error instanceof ConfigError)) throw error;
	console.error(error.message);
	process.exit(1);
}
if (!database.url) {
	console.error('DATABASE_URL: set it to the PostgreSQL URL to migrate (postgres://user@host/db)');
	process.exit(1);
}
const sql = connect(database.url, { ...database, max: 1 });
try {
	const applied = await migrate(sql);
	console.log(
		applied.length
			? `Applied to ${describeDatabase(database.url)}: ${applied.join(', ')}`
			: `The schema of ${describeDatabase(database.url)} is up to date.`
	);
} catch (error) {
	const mismatch = poolerMismatch(error, describeDatabase(database.url));
	if (!mismatch) throw error;
	console.error(mismatch.message);
	process.exitCode = 1;
} finally {
	await sql.end({ timeout: 5 });
}
