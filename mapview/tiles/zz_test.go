package tiles
import ("testing";"context";"github.com/paulmach/orb/maptile")
func TestZZSeed(t *testing.T){ m,err:=OpenMBTiles("/tmp/seed.mbtiles"); if err!=nil{t.Fatal(err)}; d,err:=m.Get(context.Background(), maptile.New(0,0,1)); _,derr:=DecodeTile(d); t.Log(m.Attribution(), m.MaxZoom(), len(d), err, derr)}
