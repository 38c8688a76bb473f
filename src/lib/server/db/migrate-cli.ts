/** `npm run migrate`: applies pending migrations to DATABASE_URL. */
import { connect } from './client.ts';
import { migrate } from './migrate.ts';

const url = process.env.DATABASE_URL;
if (!url) {
	console.error('DATABASE_URL: set it to the PostgreSQL URL to migrate (postgres://user@host/db)');
	process.exit(1);
}
const sql = connect(url, { max: 1 });
try {
	const applied = await migrate(sql);
	console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database schema is up to date.');
} finally {
	await sql.end();
}
